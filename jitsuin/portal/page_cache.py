"""The signed-in home and certificate pages served again while nothing they show has changed.

Rendering the home page costs ~30 ms of CPU (the overview, the issue policy, ~300 template
nodes); a person looking at it, or its status panel polled every 2 s, mostly sees the same
bytes again. ``serve`` keeps the last render of each session's page (Django's cache: per
process unless ``CACHES`` names a shared one) with a **fingerprint of everything the page
shows**, read by ONE plain SQL query (``SOURCES``): the person's certificates, requests and
the count of their transitions, pickups, archived keys, Wi-Fi sightings, policy exceptions and
campaign memberships, and every row of the small global tables the page reads (profiles,
authorities, campaigns and their old CAs, maintenance windows, notices, the CRLs still
valid and the publications pending). Each source is
every column of its table but the binary ones and the few large texts the page never shows
(``exclude``), so a column added later is in the fingerprint without anyone remembering it.
The person's own row, the user's name, the language, the path and the configuration are
hashed in too. The render is served again only if the fingerprint is equal, and only until
the earliest of ``WINDOW`` and the next date in those rows (an expiry, a maintenance window's
start or its announcement, a campaign's deadline, a notice's publication, a pickup's end):
time-dependent text is never staler than that.

How a render is kept and served again, and the CSRF token replaced, is ``jitsuin.kept_pages``
(shared with the console's stuck queue). ``JITSUIN_PAGE_CACHE=off`` turns it off.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from jitsuin import kept_pages
from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.campaigns.banner import SHOWN_AFTER_REVOCATION
from jitsuin.campaigns.models import Campaign, Member
from jitsuin.kept_pages import Fingerprint, Source
from jitsuin.lifecycle.key_archive_models import KeyArchive
from jitsuin.lifecycle.maintenance import ANNOUNCE_AHEAD
from jitsuin.lifecycle.models import (
    Certificate,
    MaintenanceWindow,
    Person,
    Pickup,
    PolicyException,
    Profile,
    Request,
    RequestTransition,
)
from jitsuin.notify.models import Notice
from jitsuin.sightings.models import Sighting

# The longest a kept page is served: text computed from "now" (a date derived from two
# columns, such as an overlap's revocation date) is never staler than this.
WINDOW = timedelta(seconds=60)

_OWN_CERTIFICATES = "SELECT id FROM lifecycle_certificate WHERE person_id = {person}"

SOURCES: tuple[Source, ...] = (
    Source("certificate", Certificate, "person_id = {person}"),
    # The certificates that replace the person's (a switch shows its partner). Its own source:
    # an OR of the two conditions made PostgreSQL scan every certificate (400 ms at 1M).
    Source(
        "successor",
        Certificate,
        "id IN (SELECT superseded_by_id FROM lifecycle_certificate WHERE person_id = {person})",
    ),
    Source("request", Request, "person_id = {person}", exclude=("csr_pem",)),
    Source("pickup", Pickup, f"certificate_id IN ({_OWN_CERTIFICATES})"),
    Source("keyarchive", KeyArchive, f"certificate_id IN ({_OWN_CERTIFICATES})"),
    Source("sighting", Sighting, f"certificate_id IN ({_OWN_CERTIFICATES})"),
    Source("exception", PolicyException, "person_id = {person}"),
    Source("member", Member, "person_id = {person}"),
    Source("profile", Profile),
    Source("authority", Authority),
    Source("campaign", Campaign, exclude=("body_ja", "body_en"), shifts=(SHOWN_AFTER_REVOCATION,)),
    Source("campaign_old", Campaign.old_authorities.through),
    Source("maintenance", MaintenanceWindow, "ends_at > {now}", shifts=(-ANNOUNCE_AHEAD,)),
    # The certificate page: when CRL-checking services see a revocation (next_crl_update).
    Source("crl", PublishedCrl, "next_update > {now}"),
    Source("crl_pending", PendingPublication),
    Source(
        "notice",
        Notice,
        "unpublish_at IS NULL OR unpublish_at > {now}",
        exclude=("body_ja", "body_en"),
    ),
)

# A request's history is append-only: its count and latest id say whether it grew.
_TRANSITIONS = (
    "SELECT 'transitions', CAST(COUNT(*) AS TEXT), CAST(MAX(id) AS TEXT){pad} "
    "FROM lifecycle_requesttransition "
    "WHERE request_id IN (SELECT id FROM lifecycle_request WHERE person_id = {person})"
)


@cache
def _query() -> kept_pages.RowsQuery:
    """The fingerprint's SQL: one UNION ALL of every source, each column as text."""
    assert RequestTransition._meta.db_table == "lifecycle_requesttransition"
    return kept_pages.rows_query(SOURCES, [_TRANSITIONS])


# PostgreSQL plans the fingerprint's 16 selects in ~1 ms, three times what running them takes:
# each connection prepares it once (a prepared statement outlives a rolled-back transaction).
_PREPARED = "jitsuin_portal_page"
_prepared_on: weakref.WeakSet[object] = weakref.WeakSet()


def _rows(person_id: int, now: datetime) -> list[tuple[str | None, ...]]:
    sql = _query().sql
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            now_value = connection.ops.adapt_datetimefield_value(now)
            cursor.execute(*kept_pages.bind(sql, {"person": person_id, "now": now_value}))
            return cursor.fetchall()
        raw = connection.connection
        if raw not in _prepared_on:
            numbered = sql.replace("{person}", "$1").replace("{now}", "$2")
            cursor.execute(f"PREPARE {_PREPARED} (bigint, timestamptz) AS {numbered}")
            _prepared_on.add(raw)
        cursor.execute(f"EXECUTE {_PREPARED} (%s, %s)", [person_id, now])
        return cursor.fetchall()


def fingerprint(request: HttpRequest, person: Person, now: datetime) -> Fingerprint:
    """Everything ``person``'s page shows, as one digest, read by one query."""
    own = tuple(getattr(person, f.attname) for f in Person._meta.concrete_fields)
    user = request.user
    context = (own, user.pk, user.get_username(), translation.get_language())
    return kept_pages.fingerprint_of(
        (context, request.get_full_path()), _rows(person.pk, now), _query().dates, now, WINDOW
    )


def serve(
    request: HttpRequest, person: Person, render: Callable[[dict[str, str]], HttpResponse]
) -> HttpResponse:
    """The page ``render(extra_context)`` makes, or the kept one while its fingerprint holds."""
    now = timezone.now()
    return kept_pages.serve(
        request, now, lambda: fingerprint(request, person, now), render, namespace="portal-page"
    )
