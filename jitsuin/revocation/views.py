"""Public endpoints for relying services: /ca/*, /crl/*, /ocsp. Always public (see access)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x509_ocsp
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jitsuin.authorities.models import Authority, Role
from jitsuin.authorities.services import bundle_pem, certificate_of, to_pem
from jitsuin.revocation import publishing, responder
from jitsuin.revocation.settings import timings

logger = logging.getLogger("jitsuin.revocation")
INTERNAL_ERROR = x509_ocsp.OCSPResponseStatus.INTERNAL_ERROR
OCSP_MAX_REQUEST = 16 * 1024  # a one-certificate request is ~100 bytes; more is not ours
OCSP_RESPONSE_TYPE = "application/ocsp-response"


def _cache_headers(
    response: HttpResponse,
    *,
    this_update: datetime,
    next_update: datetime,
    max_age_cap: float,
    now: datetime,
) -> HttpResponse:
    """RFC 5019 6.2 style headers; a cache never keeps the answer past nextUpdate."""
    remaining = max(0, int((next_update - now).total_seconds()))
    max_age = min(remaining, int(max_age_cap))
    response["Cache-Control"] = f"max-age={max_age}, public, no-transform, must-revalidate"
    response["Last-Modified"] = http_date(this_update.timestamp())
    response["Expires"] = http_date(min(now.timestamp() + max_age, next_update.timestamp()))
    response["ETag"] = '"' + hashlib.sha1(response.content, usedforsecurity=False).hexdigest() + '"'
    return response


def _not_modified(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.headers.get("If-None-Match") == response["ETag"]:
        not_modified = HttpResponse(status=304)
        for header in ("Cache-Control", "Expires", "ETag", "Last-Modified"):
            not_modified[header] = response[header]
        return not_modified
    return response


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
    return _static(bundle_pem(), "application/x-pem-file", "bundle.pem")


@require_http_methods(["GET", "HEAD"])
def ca_roots(request: HttpRequest) -> HttpResponse:
    """The trust anchors relying parties configure: roots only (see docs/relying-parties.md)."""
    roots = Authority.objects.filter(role=Role.ROOT).order_by("not_before")
    return _static("".join(to_pem(a) for a in roots), "application/x-pem-file", "roots.pem")


# ---- CRLs -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def crl_der(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    now = timezone.now()
    row = publishing.current_crl(authority, now=now)
    response = HttpResponse(bytes(row.der), content_type="application/pkix-crl")
    response["Content-Disposition"] = f'inline; filename="{slug}.crl"'
    _cache_headers(
        response,
        this_update=row.this_update,
        next_update=row.next_update,
        max_age_cap=timings().crl_max_age.total_seconds(),
        now=now,
    )
    return _not_modified(request, response)


@require_http_methods(["GET", "HEAD"])
def crl_pem(request: HttpRequest, slug: str) -> HttpResponse:
    authority = _authority(slug)
    row = publishing.current_crl(authority)
    response = HttpResponse(publishing.crl_pem(row), content_type="application/x-pem-file")
    response["Cache-Control"] = f"max-age={int(timings().crl_max_age.total_seconds())}, public"
    return response


@require_http_methods(["GET", "HEAD"])
def crl_bundle(request: HttpRequest) -> HttpResponse:
    """Every CA's current CRL in PEM: FreeRADIUS check_crl needs all of them."""
    response = HttpResponse(publishing.crl_bundle_pem(), content_type="application/x-pem-file")
    response["Cache-Control"] = f"max-age={int(timings().crl_max_age.total_seconds())}, public"
    return response


# ---- OCSP -------------------------------------------------------------------------------


def _ocsp_response(request: HttpRequest, der_request: bytes) -> HttpResponse:
    now = timezone.now()
    try:
        result = responder.answer(der_request, now=now)
    except Exception:  # a relying party gets an OCSP answer, never an HTML 500
        logger.exception("OCSP request failed")
        response = HttpResponse(
            responder._error(INTERNAL_ERROR).der, content_type=OCSP_RESPONSE_TYPE
        )
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(result.der, content_type=OCSP_RESPONSE_TYPE)
    if result.cacheable and result.this_update and result.next_update:
        _cache_headers(
            response,
            this_update=result.this_update,
            next_update=result.next_update,
            max_age_cap=timings().ocsp_max_age.total_seconds(),
            now=now,
        )
        return _not_modified(request, response) if request.method == "GET" else response
    response["Cache-Control"] = "no-store"
    return response


def _malformed() -> HttpResponse:
    response = HttpResponse(
        responder._error(responder.MALFORMED).der, content_type=OCSP_RESPONSE_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ocsp_post(request: HttpRequest) -> HttpResponse:
    """POST a DER request; a GET without one (/ocsp, /ocsp/) is a malformed request."""
    if request.method != "POST":
        return _malformed()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > OCSP_MAX_REQUEST:
        return _malformed()
    body = request.read(OCSP_MAX_REQUEST + 1)
    if len(body) > OCSP_MAX_REQUEST:
        return _malformed()
    return _ocsp_response(request, body)


@require_http_methods(["GET", "HEAD"])
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """RFC 5019 GET: /ocsp/<base64 of the DER request>, URL-encoded (Django decodes %XX)."""
    if len(encoded) > OCSP_MAX_REQUEST * 2:
        return _malformed()
    text = encoded.strip("/").replace(" ", "+")
    try:
        der = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            der = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return _malformed()
    return _ocsp_response(request, der)
