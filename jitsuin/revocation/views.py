"""Public endpoints for relying services: /ca/*, /crl/*, /ocsp. Always public (see access)."""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives import serialization
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jitsuin.authorities.models import Authority, Role
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import bundle_pem, certificate_of, to_pem
from jitsuin.revocation import fastpath

logger = logging.getLogger("jitsuin.revocation")


def _not_modified(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.headers.get("If-None-Match") == response["ETag"]:
        not_modified = HttpResponse(status=304)
        for header in ("Cache-Control", "Expires", "ETag", "Last-Modified"):
            if header in response:
                not_modified[header] = response[header]
        return not_modified
    return response


def _tagged(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An ETag of the body, and 304 for a client that has it (the relying-party agent polls)."""
    response["ETag"] = fastpath.etag(response.content)
    return _not_modified(request, response)


# ---- CA certificates --------------------------------------------------------------------


def _authority(slug: str) -> Authority:
    return get_object_or_404(Authority, slug=slug)


def _static(body: str | bytes, content_type: str, filename: str = "") -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "max-age=3600, public"
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_http_methods(["GET", "HEAD"])
def ca_pem(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    return _static(to_pem(authority), "application/x-pem-file", f"{slug}.pem")


@require_http_methods(["GET", "HEAD"])
def ca_der(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    der = certificate_of(authority).public_bytes(serialization.Encoding.DER)
    return _static(der, "application/pkix-cert", f"{slug}.crt")


@require_http_methods(["GET", "HEAD"])
def ca_bundle(request: HttpRequest) -> HttpResponse:
    return _tagged(request, _static(bundle_pem(), "application/x-pem-file", "bundle.pem"))


@require_http_methods(["GET", "HEAD"])
def ca_roots(request: HttpRequest) -> HttpResponse:
    """The trust anchors relying parties configure: roots only (see docs/relying-parties.md)."""
    roots = Authority.objects.filter(role=Role.ROOT).order_by("not_before")
    pem = "".join(to_pem(a) for a in roots)
    return _tagged(request, _static(pem, "application/x-pem-file", "roots.pem"))


# ---- CRLs -------------------------------------------------------------------------------
# Served as the worker published them: a web process never signs (it holds no CA key).
CRL_RETRY_AFTER = 30  # seconds; the first CRL of a new CA is scheduled at once


def _not_yet() -> HttpResponse:
    response = HttpResponse(status=503)
    response["Retry-After"] = str(CRL_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def crl_der(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    now = timezone.now()
    try:
        row = publishing.latest_published_crl(authority, now=now)
    except publishing.NotYetPublished:
        return _not_yet()
    der = bytes(row.der)
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Content-Disposition"] = f'inline; filename="{slug}.crl"'
    headers = fastpath.cache_headers(
        der,
        this_update=row.this_update,
        next_update=row.next_update,
        max_age_cap=timings().crl_max_age.total_seconds(),
        now=now,
    )
    for name, value in headers.items():
        response[name] = value
    return _not_modified(request, response)


@require_http_methods(["GET", "HEAD"])
def crl_pem(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    try:
        row = publishing.latest_published_crl(authority)
    except publishing.NotYetPublished:
        return _not_yet()
    response = HttpResponse(publishing.crl_pem(row), content_type="application/x-pem-file")
    response["Cache-Control"] = f"max-age={int(timings().crl_max_age.total_seconds())}, public"
    return response


@require_http_methods(["GET", "HEAD"])
def crl_bundle(request: HttpRequest) -> HttpResponse:
    """Every CA's current CRL in PEM: FreeRADIUS check_crl needs all of them.

    A CA still without a CRL is left out and named in ``Jitsuin-CRL-Pending`` (and the answer
    is not cached); only a bundle with no CRL at all is a 503.
    """
    bundle = publishing.published_bundle()
    if not bundle.pem:
        return _not_yet()
    response = HttpResponse(bundle.pem, content_type="application/x-pem-file")
    if bundle.pending:
        response["Jitsuin-CRL-Pending"] = ", ".join(a.slug for a in bundle.pending)
        response["Cache-Control"] = "no-store"
    else:
        max_age = int(timings().crl_max_age.total_seconds())
        response["Cache-Control"] = f"max-age={max_age}, public"
    return _tagged(request, response)


# ---- OCSP -------------------------------------------------------------------------------
# fastpath.OcspFastPath answers these paths before Django routes them; the views keep /ocsp
# working (identically) in a deployment whose MIDDLEWARE lacks it, and give the URL names.


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ocsp_post(request: HttpRequest) -> HttpResponse:
    """POST a DER request; a GET without one (/ocsp, /ocsp/) is a malformed request."""
    return fastpath.handle(request)


@require_http_methods(["GET", "HEAD"])
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """RFC 5019 GET: /ocsp/<base64 of the DER request>, URL-encoded (Django decodes %XX)."""
    return fastpath.handle(request)
