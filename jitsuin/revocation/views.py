"""Public endpoints for relying services: /ca/*, /crl/*, /ocsp. Always public (see access).

In production ``jitsuin.wsgi`` answers /ca/*, /crl/* (``served.PublicWsgi``) and /ocsp
(``fastpath.OcspWsgi``) before Django; these views give the same answers otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jitsuin.authorities.publishing import crl as publishing
from jitsuin.revocation import fastpath, served

logger = logging.getLogger("jitsuin.revocation")


def _answer(request: HttpRequest, build: Callable[[], served.Published]) -> HttpResponse:
    """The answer ``served`` keeps in memory for PublicWsgi, here through Django (a deployment
    whose WSGI entry lacks PublicWsgi, the test client): the same bytes and headers."""
    try:
        published = build()
    except served.Unknown as exc:
        raise Http404 from exc
    except publishing.NotYetPublished:
        published = served.not_yet()
    return published.to_django(request)


# ---- CA certificates --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def ca_pem(request: HttpRequest, slug: str) -> HttpResponse:
    return _answer(request, lambda: served.ca_pem(slug))


@require_http_methods(["GET", "HEAD"])
def ca_der(request: HttpRequest, slug: str) -> HttpResponse:
    return _answer(request, lambda: served.ca_der(slug))


@require_http_methods(["GET", "HEAD"])
def ca_bundle(request: HttpRequest) -> HttpResponse:
    return _answer(request, served.ca_bundle)


@require_http_methods(["GET", "HEAD"])
def ca_roots(request: HttpRequest) -> HttpResponse:
    """The trust anchors relying parties configure: roots only (see docs/relying-parties.md)."""
    return _answer(request, served.ca_roots)


# ---- CRLs -------------------------------------------------------------------------------
# Served as the worker published them: a web process never signs (it holds no CA key). A CA
# without a CRL yet is a 503 with Retry-After, and its first CRL is scheduled at once.
CRL_RETRY_AFTER = served.CRL_RETRY_AFTER


@require_http_methods(["GET", "HEAD"])
def crl_der(request: HttpRequest, slug: str) -> HttpResponse:
    return _answer(request, lambda: served.crl_der(slug))


@require_http_methods(["GET", "HEAD"])
def crl_pem(request: HttpRequest, slug: str) -> HttpResponse:
    return _answer(request, lambda: served.crl_pem(slug))


@require_http_methods(["GET", "HEAD"])
def crl_bundle(request: HttpRequest) -> HttpResponse:
    """Every CA's current CRL in PEM (``served.crl_bundle``: a CA without one is named in
    ``Jitsuin-CRL-Pending`` and the answer not cached; none at all is a 503)."""
    return _answer(request, served.crl_bundle)


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
