"""A rendered page served again, without rendering, while a fingerprint of what it shows holds.

Pages that people leave open and that refresh themselves (the portal's home and certificate
pages with their status panels, the console's stuck queue, polled every 10 s) mostly render the
same bytes again. Each such page says what it shows as a ``Fingerprint``: a digest of every
row it reads, read by one plain SQL query over its ``Source`` tables (every column but the
binary ones and the few large texts the page never shows, so a column added later is in the
fingerprint without anyone remembering it), and the moment past which its time-dependent text
may read differently. ``serve`` keeps the render (Django's cache: per process unless
``CACHES`` names a shared one), keyed by the session, the full path and whether htmx asked,
and serves it again only while the digest is equal and that moment has not come.

Never kept: a page with messages (``django.contrib.messages``) to show, anything but a GET.
The CSRF token of a kept page is replaced by a fresh one on every serve.
``JITSUIN_PAGE_CACHE=off`` turns it off everywhere.

Used by ``jitsuin.portal.page_cache`` and ``jitsuin.console.stuck_kept``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.core.cache import cache as django_cache
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.dateparse import parse_datetime

import jitsuin
from jitsuin.config import current


@dataclass(frozen=True)
class Fingerprint:
    digest: str
    # Past this the page may read differently even if no row changed.
    valid_until: datetime


@dataclass(frozen=True)
class Source:
    """The rows of one table a page depends on. ``where`` is SQL with the page's named
    parameters in braces (``{person}``, ``{now}``...), which the page substitutes.

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


# tag -> (indexes of its date columns in a row, shifts)
Dates = dict[str, tuple[tuple[int, ...], tuple[timedelta, ...]]]


@dataclass(frozen=True)
class RowsQuery:
    """One UNION ALL of every source, each column as text, first the source's tag."""

    sql: str
    dates: Dates


def rows_query(sources: Sequence[Source], extra: Sequence[str] = ()) -> RowsQuery:
    """The SQL reading ``sources``; each of ``extra`` is a SELECT of its own, padded to the
    width (``{pad}``) and appended."""
    quote = connection.ops.quote_name
    width = max(len(s.columns()) for s in sources)
    parts: list[str] = []
    dates: Dates = {}
    for source in sources:
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
    for sql in extra:
        parts.append(sql.replace("{pad}", ", CAST(NULL AS TEXT)" * (width - 2)))
    return RowsQuery(" UNION ALL ".join(parts), dates)


_NAMED = re.compile(r"\{(\w+)\}")


def bind(sql: str, values: Mapping[str, object]) -> tuple[str, list[object]]:
    """``sql`` with each ``{name}`` replaced by its placeholder, and the parameters in order: a
    list as ``(%s, ...)`` (``(NULL)`` when empty, which matches nothing), anything else as
    ``%s``."""
    params: list[object] = []

    def placeholder(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if not isinstance(value, list):
            params.append(value)
            return "%s"
        params.extend(value)
        return "(" + ", ".join(["%s"] * len(value)) + ")" if value else "(NULL)"

    return _NAMED.sub(placeholder, sql), params


def _as_datetime(text: str) -> datetime | None:
    value = parse_datetime(text)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset
    return value


_configured: list[tuple[object, bytes]] = []


def configuration_digest() -> bytes:
    """The configuration's digest (the site's name, the Wi-Fi names... are on the pages), with
    jitsuin's version: a shared cache never serves one release's page from another."""
    config = current()
    if not _configured or _configured[0][0] is not config:
        stamp = f"{jitsuin.__version__}\0{config!r}"
        _configured[:] = [(config, hashlib.blake2b(stamp.encode()).digest())]
    return _configured[0][1]


def fingerprint_of(
    context: object,
    rows: Iterable[tuple[str | None, ...]],
    dates: Dates,
    now: datetime,
    window: timedelta,
) -> Fingerprint:
    """The digest of ``context`` (what the page shows besides the rows: who asks, in which
    language, for which path) and of ``rows``; valid until the earliest of ``now + window``
    and the next date in the rows (with their shifts)."""
    digest = hashlib.blake2b(configuration_digest())
    digest.update(repr(context).encode())
    until = now + window
    rows = list(rows)
    for line in sorted(repr(row) for row in rows):
        digest.update(line.encode())
    for row in rows:
        indexes, shifts = dates.get(row[0] or "", ((), ()))
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


def _keepable(request: HttpRequest) -> bool:
    """Whether this request's page may be kept or served from what was kept."""
    return (
        enabled()
        and request.method == "GET"
        and bool(request.session.session_key)
        and not len(messages.get_messages(request))
    )


def _key(request: HttpRequest, namespace: str) -> str:
    session = request.session.session_key or ""
    htmx = "htmx" if request.headers.get("HX-Request") == "true" else ""
    text = f"{session}\0{request.get_full_path()}\0{htmx}"
    return f"jitsuin:{namespace}:{hashlib.blake2b(text.encode()).hexdigest()}"


def serve(
    request: HttpRequest,
    now: datetime,
    fingerprint: Callable[[], Fingerprint],
    render: Callable[[dict[str, str]], HttpResponse],
    *,
    namespace: str,
    anew: dict[str, str] | None = None,
) -> HttpResponse:
    """The page ``render(extra_context)`` makes, or the kept one while its ``fingerprint()``
    (read only where the page may be kept) holds at ``now``.

    ``extra_context`` holds each of ``anew``, values rendered anew on every serve (a "list
    updated at" time), and on a page that may be kept ``csrf_token``. A kept page has each of
    them replaced by the value of this serve, so each must be unique in the page (a token; a
    ``<time datetime>`` element with microseconds)."""
    values = dict(anew or {})
    if not _keepable(request):
        return render(values)
    mark = fingerprint()
    values["csrf_token"] = get_token(request)
    key = _key(request, namespace)
    kept = django_cache.get(key)
    if kept is not None and kept[0] == mark.digest and now < kept[1]:
        html, then = kept[2], kept[3]
        for name, value in then.items():
            html = html.replace(value, values[name])
        return HttpResponse(html)
    response = render(values)
    if response.status_code == 200 and not response.streaming:
        html = response.content.decode()
        timeout = max(1, int((mark.valid_until - now).total_seconds()) + 1)
        django_cache.set(key, (mark.digest, mark.valid_until, html, values), timeout)
    return response
