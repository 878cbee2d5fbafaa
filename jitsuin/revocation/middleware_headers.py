"""The headers Django's MIDDLEWARE adds to an answer, for the answers ``served.PublicWsgi``
gives without Django (security headers, Vary, Content-Language, Content-Length, HSTS).

Kept in step with settings.MIDDLEWARE by tests/revocation/test_served.py, which compares
every path with the Django views byte for byte: a middleware that adds a header makes it fail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import parse_cookie
from django.utils import translation

from jitsuin.access.middleware import CSP


class _LanguageRequest:
    """What ``get_language_from_request`` reads of a request: cookies and META."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.COOKIES = parse_cookie(environ.get("HTTP_COOKIE", ""))
        self.META = environ


def _is_secure(environ: dict[str, Any]) -> bool:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",")[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


def stack_headers(environ: dict[str, Any], length: int) -> list[tuple[str, str]]:
    """The headers MIDDLEWARE adds to these answers, in the order it adds them."""
    language = translation.get_language_from_request(_LanguageRequest(environ))
    headers = [
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Length", str(length)),
        ("Vary", "Accept-Language"),
        ("Content-Language", language),
        ("Content-Security-Policy", CSP),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if settings.SECURE_HSTS_SECONDS and _is_secure(environ):
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            sts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            sts += "; preload"
        headers.append(("Strict-Transport-Security", sts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return headers
