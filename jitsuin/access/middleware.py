"""Network policy and security headers for every response."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from jitsuin.access.network import client_address, is_allowed, is_public_path
from jitsuin.config import current

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)


class NetworkPolicyMiddleware:
    """The portal answers only from configured networks; relying-party paths stay public."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config = current()
        address = client_address(request.META, config.trusted_proxies)
        request.client_address = address  # type: ignore[attr-defined]
        if is_public_path(request.path) or is_allowed(address, config.allowed_networks):
            return self.get_response(request)
        html = render_to_string(
            "access/network_denied.html", {"address": address, "request": request}
        )
        return HttpResponse(html, status=403)


class SecurityHeadersMiddleware:
    """A CSP without inline scripts, no framing; HSTS comes from SecurityMiddleware on HTTPS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
