"""/ca/*, /crl/* and /healthz from process memory, before Django builds a request.

Relying parties poll the CA certificates and CRLs (the agent every minute, FreeRADIUS and
nginx at each reload, a load balancer /healthz every second), and these bytes change only
when something is published. Through Django every request paid for the whole middleware
stack, a URL resolution and two to four queries, and the PEM bundle re-encoded every CRL.

``PublicWsgi`` (``jitsuin.wsgi``, under ``OcspWsgi``) answers these paths itself:

- a finished answer (body and the views' headers) is built once, by the same code as the
  views (``build``), and kept in this process;
- at most every ``JITSUIN_PUBLIC_CACHE_TTL`` (2 s) one query reads a marker of what is
  published (``publication_marker``); when it changed, every kept answer is dropped. A new
  CRL or CA is therefore served within the TTL by every process, and a CRL is never built
  on the request path: only the worker signs, the web side reads what it stored;
- a CRL's Cache-Control, Last-Modified and Expires are computed per second as the view
  computes them (max-age never past nextUpdate), ETag and 304 as the view answers them;
- the headers Django's middleware adds (security headers, Vary, Content-Language,
  Content-Length, HSTS on HTTPS) are added as the middleware adds them
  (``middleware_headers.stack_headers``); tests/revocation/test_served.py compares every path
  with the Django views, byte for byte.

Everything else goes down to Django: another method (405), a query string, a request body,
an unknown slug (404), a CA without a CRL yet (503, and its publication is scheduled as the
view schedules it), any error. The network policy leaves these paths public, so skipping
it changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core import signals
from django.core.handlers.wsgi import get_path_info
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from jitsuin import health
from jitsuin.authorities.models import Authority, PublishedCrl, Role
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import bundle_pem, certificate_of, to_pem
from jitsuin.dbfaults import drop_dead_connections
from jitsuin.revocation.fastpath import cache_headers, etag
from jitsuin.revocation.middleware_headers import stack_headers

logger = logging.getLogger("jitsuin.revocation")

CRL_RETRY_AFTER = 30  # seconds; the first CRL of a new CA is scheduled at once
PEM = "application/x-pem-file"
HTML = "text/html; charset=utf-8"  # what Django gives a response without a body of its own


class Unknown(Exception):
    """No such CA: the view answers 404."""


@dataclass(frozen=True)
class Published:
    """One finished answer of a view: the body and the view's own headers, in its order."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    status: int = 200
    tagged: bool = False  # an ETag of the body, and 304 to a client that has it
    crl_times: tuple[datetime, datetime] | None = None  # thisUpdate, nextUpdate: headers by now
    cacheable: bool = True
    tag: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if self.tagged:  # once per answer, not per request (a CRL bundle can be megabytes)
            object.__setattr__(self, "tag", etag(self.body))

    def view_headers(self, now: datetime) -> list[tuple[str, str]]:
        headers = list(self.headers)
        if self.crl_times is not None:
            this_update, next_update = self.crl_times
            headers += cache_headers(
                self.body,
                this_update=this_update,
                next_update=next_update,
                max_age_cap=timings().crl_max_age.total_seconds(),
                now=now,
            ).items()
        elif self.tagged:
            headers.append(("ETag", self.tag))
        return headers

    def answer(
        self, if_none_match: str | None, now: datetime
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, the view's headers, body); a 304 keeps the validators and cache headers."""
        headers = self.view_headers(now)
        tag = dict(headers).get("ETag")
        if tag is not None and if_none_match == tag:
            kept = dict(headers)
            return (
                304,
                [("Content-Type", HTML)]
                + [
                    (h, kept[h])
                    for h in ("Cache-Control", "Expires", "ETag", "Last-Modified")
                    if h in kept
                ],
                b"",
            )
        return self.status, headers, self.body

    def to_django(self, request: HttpRequest) -> HttpResponse:
        """The views' response (the middleware adds the rest)."""
        status, headers, body = self.answer(request.headers.get("If-None-Match"), timezone.now())
        response = HttpResponse(body, status=status)
        for name, value in headers:
            response[name] = value
        return response


def _static(
    body: str | bytes, content_type: str, filename: str = "", *, tagged: bool = False
) -> Published:
    headers = [("Content-Type", content_type), ("Cache-Control", "max-age=3600, public")]
    if filename:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    data = body.encode() if isinstance(body, str) else body
    return Published(data, tuple(headers), tagged=tagged)


def not_yet() -> Published:
    """503 with Retry-After: a CA without its first CRL (the worker signs it shortly)."""
    return Published(
        b"",
        (
            ("Content-Type", HTML),
            ("Retry-After", str(CRL_RETRY_AFTER)),
            ("Cache-Control", "no-store"),
        ),
        status=503,
        cacheable=False,
    )


# ---- what each path serves (the views in views.py answer with the same) -------------------


def _authority(slug: str) -> Authority:
    authority = Authority.objects.filter(slug=slug).first()
    if authority is None:
        raise Unknown(slug)
    return authority


def ca_pem(slug: str) -> Published:
    return _static(to_pem(_authority(slug)), PEM, f"{slug}.pem")


def ca_der(slug: str) -> Published:
    der = certificate_of(_authority(slug)).public_bytes(serialization.Encoding.DER)
    return _static(der, "application/pkix-cert", f"{slug}.crt")


def ca_bundle() -> Published:
    return _static(bundle_pem(), PEM, "bundle.pem", tagged=True)


def ca_roots() -> Published:
    """The trust anchors relying parties configure: roots only (see docs/relying-parties.md)."""
    roots = Authority.objects.filter(role=Role.ROOT).order_by("not_before")
    return _static("".join(to_pem(a) for a in roots), PEM, "roots.pem", tagged=True)


def crl_der(slug: str) -> Published:
    """Raises NotYetPublished (and schedules the first CRL) for a CA without one."""
    row = publishing.latest_published_crl(_authority(slug))
    headers = (
        ("Content-Type", "application/pkix-crl"),
        ("Content-Disposition", f'inline; filename="{slug}.crl"'),
    )
    return Published(bytes(row.der), headers, crl_times=(row.this_update, row.next_update))


def crl_pem(slug: str) -> Published:
    row = publishing.latest_published_crl(_authority(slug))
    max_age = int(timings().crl_max_age.total_seconds())
    headers = (("Content-Type", PEM), ("Cache-Control", f"max-age={max_age}, public"))
    return Published(publishing.crl_pem(row).encode(), headers)


def crl_bundle() -> Published:
    """Every CA's current CRL in PEM: FreeRADIUS check_crl needs all of them.

    A CA still without a CRL is left out and named in ``Jitsuin-CRL-Pending`` (and the answer
    is not cached); only a bundle with no CRL at all is a 503.
    """
    bundle = publishing.published_bundle()
    if not bundle.pem:
        return not_yet()
    headers = [("Content-Type", PEM)]
    if bundle.pending:
        headers.append(("Jitsuin-CRL-Pending", ", ".join(a.slug for a in bundle.pending)))
        headers.append(("Cache-Control", "no-store"))
    else:
        max_age = int(timings().crl_max_age.total_seconds())
        headers.append(("Cache-Control", f"max-age={max_age}, public"))
    return Published(bundle.pem.encode(), tuple(headers), tagged=True, cacheable=not bundle.pending)


_SLUG = r"[-a-zA-Z0-9_]+"  # Django's <slug:...>
_ROUTES: tuple[tuple[re.Pattern[str], Callable[..., Published]], ...] = (
    (re.compile(r"/ca/bundle\.pem"), ca_bundle),
    (re.compile(r"/ca/roots\.pem"), ca_roots),
    (re.compile(rf"/ca/({_SLUG})\.pem"), ca_pem),
    (re.compile(rf"/ca/({_SLUG})\.crt"), ca_der),
    (re.compile(r"/crl/bundle\.pem"), crl_bundle),
    (re.compile(rf"/crl/({_SLUG})\.crl"), crl_der),
    (re.compile(rf"/crl/({_SLUG})\.pem"), crl_pem),
)


def build(path: str) -> Published | None:
    """The answer of the view for ``path`` (as jitsuin/revocation/urls.py routes it), or None
    when no route matches. Raises Unknown (404) and NotYetPublished (503)."""
    for pattern, builder in _ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            return builder(*match.groups())
    return None


# ---- the cache -----------------------------------------------------------------------------


def publication_marker() -> tuple[Any, ...]:
    """One query that changes whenever what these paths serve may have changed.

    A new CRL is a new PublishedCrl row (ids only grow); a new CA a new Authority row. A CA's
    certificate, slug and role never change once it exists.
    """
    crls = PublishedCrl._meta.db_table
    cas = Authority._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {crls}), (SELECT COUNT(*) FROM {cas}),"  # noqa: S608
            f" (SELECT MAX(id) FROM {cas})"
        )
        row = cursor.fetchone()
    return tuple(row) if row else ()


class PublicCache:
    """Finished answers by path, trusted for ``public_cache_ttl`` before the marker is asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, Published] = {}
        self._marker: tuple[Any, ...] | None = None
        self._checked = float("-inf")
        self.clock: Callable[[], float] = time.monotonic

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._marker = None
            self._checked = float("-inf")
            self.clock = time.monotonic

    def _revalidate(self) -> bool:
        """True if this used the database."""
        ttl = timings().public_cache_ttl.total_seconds()
        now = self.clock()
        if now - self._checked < ttl:
            return False
        marker = publication_marker()
        with self._lock:
            if marker != self._marker:
                self._answers.clear()
                self._marker = marker
            self._checked = now
        return True

    def get(self, path: str) -> tuple[Published | None, bool]:
        """(the answer, whether the database was used). Raises as ``build``."""
        touched = self._revalidate()
        found = self._answers.get(path)
        if found is not None:
            return found, touched
        marker = self._marker
        built = build(path)
        if built is not None and built.cacheable:
            with self._lock:
                if self._marker == marker:  # not dropped meanwhile by a newer marker
                    self._answers[path] = built
        return built, True


cache = PublicCache()


# ---- /healthz --------------------------------------------------------------------------------


def health_answer() -> tuple[int, bytes]:
    """The status and JSON body of /healthz, as ``jitsuin.health.healthz`` gives them."""
    status, checks = health.run_checks()
    body = json.dumps({"status": status, "checks": checks}, cls=DjangoJSONEncoder).encode()
    return (503 if status == "down" else 200), body


_REASONS = {200: "200 OK", 304: "304 Not Modified", 503: "503 Service Unavailable"}


def is_served_path(path: str) -> bool:
    return path.startswith(("/ca/", "/crl/")) or path == "/healthz"


class PublicWsgi:
    """WSGI wrapper (``jitsuin.wsgi``): /ca/*, /crl/* and /healthz without building a request.

    Database connections are released as Django's own handler does (request_finished) after
    every answer that used the database; one from memory used none.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if (
            not is_served_path(path)
            or method not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
            or environ.get("CONTENT_LENGTH") not in (None, "", "0")
        ):
            return self.app(environ, start_response)
        touched = True
        try:
            drop_dead_connections()
            answer, touched = self._answer(get_path_info(environ), environ)
        except (Unknown, publishing.NotYetPublished):
            answer = None  # the view answers (404; 503 and the first CRL scheduled)
        except Exception:
            logger.exception("serving %s from memory failed; Django answers", path)
            answer = None
        if touched:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        start_response(
            _REASONS.get(status, f"{status} Jitsuin"), headers + stack_headers(environ, len(body))
        )
        return [b"" if method == "HEAD" else body]

    @staticmethod
    def _answer(
        path: str, environ: dict[str, Any]
    ) -> tuple[tuple[int, list[tuple[str, str]], bytes] | None, bool]:
        if path == "/healthz":
            status, body = health_answer()
            headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
            return (status, headers, body), True
        published, touched = cache.get(path)
        if published is None:
            return None, touched
        return published.answer(environ.get("HTTP_IF_NONE_MATCH"), timezone.now()), touched
