"""What the stuck queue's page shows, as a fingerprint (``jitsuin.kept_pages``).

Operators leave the stuck queue open and it refreshes itself every 10 s: the page is served
again from its last render while nothing it shows changed. The queue's entries (every stuck
request with its snooze and last staff retry, which give the counts and the pages) are read on
every request anyway; the fingerprint adds, in one query, every column of the page's shown
requests, their people and claims, the count and newest id of the shown requests'
audit events (the "last action" column; the log is append-only), and the maintenance windows
of the banner. Who asks (their permissions decide the forms), the language and the path are
hashed in too. Text computed from the clock (business days, whether a request may be retried
or re-polled yet) is never staler than ``WINDOW``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.http import HttpRequest
from django.utils import translation

from jitsuin import kept_pages
from jitsuin.audit.models import AuditEvent
from jitsuin.console.models import StuckClaim
from jitsuin.console.stuck_queue import QueueEntry
from jitsuin.kept_pages import Fingerprint, Source
from jitsuin.lifecycle.maintenance import ANNOUNCE_AHEAD
from jitsuin.lifecycle.models import MaintenanceWindow, Person, Request

# The longest a kept page is served (the page itself refreshes every 10 s).
WINDOW = timedelta(seconds=60)

_REQUESTS = Request._meta.db_table
_SHOWN = f"SELECT person_id FROM {_REQUESTS} WHERE id IN {{ids}}"  # noqa: S608 (a model's table)

SOURCES: tuple[Source, ...] = (
    Source("request", Request, "id IN {ids}", exclude=("csr_pem",)),
    Source("person", Person, f"id IN ({_SHOWN})"),
    Source("claim", StuckClaim, "request_id IN {ids}"),
    Source("maintenance", MaintenanceWindow, "ends_at > {now}", shifts=(-ANNOUNCE_AHEAD,)),
)

# The shown requests' audit events: append-only, so their count and newest id say whether the
# "last action" column changed. By the (object_type, object_id) index.
_AUDITS = AuditEvent._meta.db_table
_AUDIT = (
    "SELECT 'audit', CAST(COUNT(*) AS TEXT), CAST(MAX(id) AS TEXT){pad} "  # noqa: S608 (a model's table)
    f"FROM {_AUDITS} WHERE object_type = {{type}} AND object_id IN {{keys}}"
)


@cache
def _query() -> kept_pages.RowsQuery:
    return kept_pages.rows_query(SOURCES, [_AUDIT])


def _rows(ids: Sequence[int], now: datetime) -> list[tuple[str | None, ...]]:
    """The sources' rows for the shown requests ``ids``, in one query."""
    values = {
        "ids": list(ids),
        "keys": [str(pk) for pk in ids],
        "now": connection.ops.adapt_datetimefield_value(now),
        "type": Request._meta.label_lower,
    }
    with connection.cursor() as cursor:
        cursor.execute(*kept_pages.bind(_query().sql, values))
        return cursor.fetchall()


def fingerprint(
    request: HttpRequest, entries: Sequence[QueueEntry], shown: Sequence[int], now: datetime
) -> Fingerprint:
    """Everything the stuck queue's page shows for ``shown`` (a page of ``entries``)."""
    user = request.user
    context = (
        user.pk,
        user.get_username(),
        sorted(user.get_all_permissions()),
        translation.get_language(),
        request.get_full_path(),
        tuple(entries),
    )
    return kept_pages.fingerprint_of(context, _rows(shown, now), _query().dates, now, WINDOW)
