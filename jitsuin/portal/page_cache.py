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

Never kept: a page with messages (``django.contrib.messages``) to show, anything but a
successful GET. The CSRF token of a kept page is replaced by a fresh one on every serve.
``JITSUIN_PAGE_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.contrib import messages
from django.core.cache import cache as django_cache
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

import jitsuin
from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.campaigns.banner import SHOWN_AFTER_REVOCATION
from jitsuin.campaigns.models import Campaign, Member
from jitsuin.config import current
from jitsuin.lifecycle.key_archive_models import KeyArchive
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
from jitsuin.portal.templatetags.jitsuin_layout import ANNOUNCE_AHEAD
from jitsuin.sightings.models import Sighting

# The longest a kept page is served: text computed from "now" (a date derived from two
# columns, such as an overlap's revocation date) is never staler than this.
WINDOW = timedelta(seconds=60)

_OWN_CERTIFICATES = "SELECT id FROM lifecycle_certificate WHERE person_id = {person}"


@dataclass(frozen=True)
class Source:
    """The rows of one table the page depends on; ``where`` names the person's id ``{person}``
    and the time of the request ``{now}``.

    ``shifts``: besides each date in the rows, the page also changes this long before or
    after it (a maintenance window is announced 7 days before it starts)."""

    tag: str
    model: type[models.Model]
    where: str = ""
    exclude: tuple[str, ...] = ()
    shifts: tuple[timedelta, ...] = ()

    def columns(self) -> list[models.Field]:  # type: ignore[type-arg]
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.get_internal_type() != "BinaryField" and f.column not in self.exclude
        ]


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


@dataclass(frozen=True)
class _Query:
    sql: str  # {person} and {now} where the parameters go
    # tag -> (indexes of its date columns in a row, shifts)
    dates: dict[str, tuple[tuple[int, ...], tuple[timedelta, ...]]]


@cache
def _query() -> _Query:
    """The fingerprint's SQL: one UNION ALL of every source, each column as text."""
    assert RequestTransition._meta.db_table == "lifecycle_requesttransition"
    quote = connection.ops.quote_name
    width = max(len(s.columns()) for s in SOURCES)
    parts: list[str] = []
    dates: dict[str, tuple[tuple[int, ...], tuple[timedelta, ...]]] = {}
    for source in SOURCES:
        columns = source.columns()
        texts = [f"CAST({quote(f.column)} AS TEXT)" for f in columns]
        texts += ["CAST(NULL AS TEXT)"] * (width - len(columns))
        where = f" WHERE {source.where}" if source.where else ""
        table = quote(source.model._meta.db_table)
        parts.append(f"SELECT '{source.tag}', {', '.join(texts)} FROM {table}{where}")  # noqa: S608 (names from the models)
        dates[source.tag] = (
            tuple(i + 1 for i, f in enumerate(columns) if f.get_internal_type() == "DateTimeField"),
            source.shifts,
        )
    parts.append(_TRANSITIONS.replace("{pad}", ", CAST(NULL AS TEXT)" * (width - 2)))
    return _Query(" UNION ALL ".join(parts), dates)


_PARAMETER = re.compile(r"\{(person|now)\}")


def _as_datetime(text: str) -> datetime | None:
    value = parse_datetime(text)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset
    return value


@dataclass(frozen=True)
class Fingerprint:
    digest: str
    # Past this the page may read differently even if no row changed.
    valid_until: datetime


_configured: list[tuple[object, bytes]] = []


def _configuration() -> bytes:
    """The configuration's digest (the site's name, the Wi-Fi names... are on the page), with
    jitsuin's version: a shared cache never serves one release's page from another."""
    config = current()
    if not _configured or _configured[0][0] is not config:
        stamp = f"{jitsuin.__version__}\0{config!r}"
        _configured[:] = [(config, hashlib.blake2b(stamp.encode()).digest())]
    return _configured[0][1]


# PostgreSQL plans the fingerprint's 16 selects in ~1 ms, three times what running them takes:
# each connection prepares it once (a prepared statement outlives a rolled-back transaction).
_PREPARED = "jitsuin_portal_page"
_prepared_on: weakref.WeakSet[object] = weakref.WeakSet()


def _rows(person_id: int, now: datetime) -> list[tuple[str | None, ...]]:
    sql = _query().sql
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            values = {"person": person_id, "now": connection.ops.adapt_datetimefield_value(now)}
            params = [values[name] for name in _PARAMETER.findall(sql)]
            cursor.execute(_PARAMETER.sub("%s", sql), params)
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
    query = _query()
    rows = _rows(person.pk, now)
    digest = hashlib.blake2b(_configuration())
    own = tuple(getattr(person, f.attname) for f in Person._meta.concrete_fields)
    user = request.user
    context = (own, user.pk, user.get_username(), translation.get_language())
    digest.update(repr((context, request.get_full_path())).encode())
    until = now + WINDOW
    for line in sorted(repr(row) for row in rows):
        digest.update(line.encode())
    for row in rows:
        indexes, shifts = query.dates.get(row[0], ((), ()))
        for i in indexes:
            at = _as_datetime(row[i]) if row[i] else None
            if at is None:
                continue
            for moment in (at, *(at + shift for shift in shifts)):
                if now < moment < until:
                    until = moment
    return Fingerprint(digest.hexdigest(), until)


def enabled() -> bool:
    return current().portal.page_cache


def _key(request: HttpRequest) -> str:
    session = request.session.session_key or ""
    name = hashlib.blake2b(f"{session}\0{request.get_full_path()}".encode()).hexdigest()
    return f"jitsuin:portal-page:{name}"


def serve(
    request: HttpRequest, person: Person, render: Callable[[dict[str, str]], HttpResponse]
) -> HttpResponse:
    """The page ``render(extra_context)`` makes, or the kept one while its fingerprint holds."""
    if (
        not enabled()
        or request.method != "GET"
        or not request.session.session_key
        or len(messages.get_messages(request))
    ):
        return render({})
    now = timezone.now()
    mark = fingerprint(request, person, now)
    key = _key(request)
    kept = django_cache.get(key)
    if kept is not None and kept[0] == mark.digest and now < kept[1]:
        html, token = kept[2], kept[3]
        return HttpResponse(html.replace(token, get_token(request)))
    token = get_token(request)
    response = render({"csrf_token": token})
    if response.status_code == 200 and not response.streaming:
        html = response.content.decode()
        timeout = max(1, int((mark.valid_until - now).total_seconds()) + 1)
        django_cache.set(key, (mark.digest, mark.valid_until, html, token), timeout)
    return response
