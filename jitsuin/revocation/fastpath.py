"""/ocsp without the rest of Django: a middleware that sits first and answers OCSP itself.

Relying parties (RADIUS servers checking every login) ask /ocsp far more often than people
load pages, and an OCSP exchange needs no session, user, CSRF token, language or URL routing.
``OcspFastPath`` is the first entry of ``MIDDLEWARE``: for ``/ocsp`` and ``/ocsp/...`` it
answers from the responder (a pre-signed response from process memory or one indexed SELECT)
and never calls the middleware and views below it. ``OcspWsgi`` (``jitsuin.wsgi``, what
gunicorn and granian serve) goes further and answers before Django builds a request. The same
``respond`` backs both and the ``/ocsp`` views, so every way in answers identically.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.x509 import ocsp as x509_ocsp
from django.core import signals
from django.core.handlers.wsgi import LimitedStream, get_path_info
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import http_date

from jitsuin.authorities.publishing.settings import timings
from jitsuin.pki.ocsp import MAX_REQUEST_SIZE
from jitsuin.revocation import answer as ocsp

logger = logging.getLogger("jitsuin.revocation")

OCSP_MAX_REQUEST = MAX_REQUEST_SIZE  # a one-certificate request is ~100 bytes; more is not ours
OCSP_RESPONSE_TYPE = "application/ocsp-response"
INTERNAL_ERROR = x509_ocsp.OCSPResponseStatus.INTERNAL_ERROR
_ANSWERED_METHODS = ("GET", "HEAD", "POST")


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer to an OCSP exchange, independent of the web framework."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    touched_database: bool = True

    def to_django(self) -> HttpResponse:
        content_type = self.headers.get("Content-Type", OCSP_RESPONSE_TYPE)
        response = HttpResponse(self.body, status=self.status, content_type=content_type)
        # CommonMiddleware, which would add it, is below us; without it servers chunk.
        response["Content-Length"] = str(len(self.body))
        for name, value in self.headers.items():
            if name != "Content-Type":
                response[name] = value
        return response


def etag(body: bytes) -> str:
    """The strong validator of a published body (CRL, OCSP answer, bundle): its SHA-1."""
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


def cache_headers(
    body: bytes,
    *,
    this_update: datetime,
    next_update: datetime,
    max_age_cap: float,
    now: datetime,
) -> dict[str, str]:
    """RFC 5019 6.2 style headers; a cache never keeps the answer past nextUpdate."""
    # HTTP dates have one-second resolution: the same response in the same second gets the
    # same headers, so they are computed once (the hot path asks for a few thousand a second).
    return dict(
        _cache_headers(body, this_update, next_update, int(max_age_cap), int(now.timestamp()))
    )


@lru_cache(maxsize=8192)
def _cache_headers(
    body: bytes, this_update: datetime, next_update: datetime, max_age_cap: int, now: int
) -> tuple[tuple[str, str], ...]:
    remaining = max(0, int(next_update.timestamp()) - now)
    max_age = min(remaining, max_age_cap)
    return (
        ("Cache-Control", f"max-age={max_age}, public, no-transform, must-revalidate"),
        ("Last-Modified", http_date(this_update.timestamp())),
        ("Expires", http_date(min(now + max_age, next_update.timestamp()))),
        ("ETag", etag(body)),
    )


def _uncacheable(der: bytes, *, touched_database: bool = True) -> HttpAnswer:
    return HttpAnswer(
        der,
        touched_database=touched_database,
        headers={
            "Content-Type": OCSP_RESPONSE_TYPE,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def malformed() -> HttpAnswer:
    return _uncacheable(ocsp.error(ocsp.MALFORMED).der)


def answer_der(der_request: bytes, *, get: bool, if_none_match: str | None) -> HttpAnswer:
    """The HTTP answer to one DER request; an OCSP error response, never an exception."""
    now = timezone.now()
    try:
        result = ocsp.answer(der_request, now=now)
    except Exception:  # a relying party gets an OCSP answer, never an HTML 500
        logger.exception("OCSP request failed")
        return _uncacheable(ocsp.error(INTERNAL_ERROR).der)
    if not (result.cacheable and result.this_update and result.next_update):
        # A nonce answer signed from memory touched no database: no request_finished either.
        return _uncacheable(result.der, touched_database=result.touched_database)
    headers = cache_headers(
        result.der,
        this_update=result.this_update,
        next_update=result.next_update,
        max_age_cap=timings().ocsp_max_age.total_seconds(),
        now=now,
    )
    touched = result.touched_database
    if get and if_none_match is not None and if_none_match == headers["ETag"]:
        return HttpAnswer(b"", status=304, headers=headers, touched_database=touched)
    headers["Content-Type"] = OCSP_RESPONSE_TYPE
    headers["X-Content-Type-Options"] = "nosniff"
    return HttpAnswer(result.der, headers=headers, touched_database=touched)


def decode_get(encoded: str) -> bytes | None:
    """The DER request of an RFC 5019 GET path (after /ocsp/), already URL-decoded."""
    if len(encoded) > OCSP_MAX_REQUEST * 2:
        return None
    text = encoded.strip("/").replace(" ", "+")
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(padded)
        except (binascii.Error, ValueError):
            return None


def read_post(content_length: str | None, read: Callable[[int], bytes]) -> bytes | None:
    """The POSTed body, or None when it is larger than any OCSP request of ours."""
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    if length > OCSP_MAX_REQUEST:
        return None
    body = read(OCSP_MAX_REQUEST + 1)
    return None if len(body) > OCSP_MAX_REQUEST else body


def is_ocsp_path(path: str) -> bool:
    return path == "/ocsp" or path.startswith("/ocsp/")


def respond(
    method: str,
    path: str,
    *,
    content_length: str | None,
    read: Callable[[int], bytes],
    if_none_match: str | None,
) -> HttpAnswer:
    """``/ocsp`` (POST; GET without a request is malformed) and ``/ocsp/<base64>`` (GET)."""
    if method not in _ANSWERED_METHODS:
        return HttpAnswer(b"", status=405, headers={"Allow": ", ".join(_ANSWERED_METHODS)})
    if method == "POST":
        body = read_post(content_length, read)
        if body is None:
            return malformed()
        return answer_der(body, get=False, if_none_match=None)
    tail = path[len("/ocsp/") :] if path != "/ocsp" else ""
    der = decode_get(tail) if tail.strip("/") else None
    if der is None:
        return malformed()
    return answer_der(der, get=True, if_none_match=if_none_match)


def handle(request: HttpRequest) -> HttpResponse:
    """The Django side: the middleware and the /ocsp views."""
    return respond(
        request.method or "GET",
        request.path_info,
        content_length=request.META.get("CONTENT_LENGTH"),
        read=request.read,
        if_none_match=request.headers.get("If-None-Match"),
    ).to_django()


class OcspFastPath:
    """First in MIDDLEWARE: /ocsp is answered here; everything else goes down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_ocsp_path(request.path_info):
            return handle(request)
        return self.get_response(request)


_REASONS = {200: "200 OK", 304: "304 Not Modified", 405: "405 Method Not Allowed"}


class OcspWsgi:
    """WSGI wrapper (``jitsuin.wsgi``): /ocsp without building a Django request at all.

    Database connections are released as Django's own handler does (request_finished), so
    CONN_MAX_AGE and health checks apply.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not is_ocsp_path(path):
            return self.app(environ, start_response)
        # request_finished, as Django's own handler sends it, closes or keeps database
        # connections as CONN_MAX_AGE and health checks say. After every request that used
        # the database it leaves them clean for the next, so request_started has nothing
        # left to do, and a repeat answered from memory (no database) needs neither.
        try:
            answer = self._respond(environ)
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        if answer.touched_database:
            signals.request_finished.send(sender=self.__class__)
        headers = [
            ("Content-Type", answer.headers.get("Content-Type", OCSP_RESPONSE_TYPE)),
            ("Content-Length", str(len(answer.body))),
            *((k, v) for k, v in answer.headers.items() if k != "Content-Type"),
        ]
        start_response(_REASONS.get(answer.status, f"{answer.status} OCSP"), headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else answer.body]

    @staticmethod
    def _respond(environ: dict[str, Any]) -> HttpAnswer:
        stream = environ["wsgi.input"]
        if not environ.get("wsgi.input_terminated"):
            # As Django's own handler: never read past Content-Length (keep-alive sockets).
            try:
                length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
            except ValueError:
                length = 0
            stream = LimitedStream(stream, length)
        try:
            return respond(
                environ.get("REQUEST_METHOD", "GET"),
                get_path_info(environ),  # decoded exactly as Django decodes it
                content_length=environ.get("CONTENT_LENGTH"),
                read=stream.read,
                if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            )
        except Exception:  # a relying party gets an OCSP answer, never an HTML 500
            logger.exception("OCSP request failed")
            return _uncacheable(ocsp.error(INTERNAL_ERROR).der)
