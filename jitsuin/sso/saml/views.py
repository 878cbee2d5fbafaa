"""djangosaml2's views with jitsuin's endings: the session marked as a SAML one after sign-in,
metadata trouble shown as the bilingual refusal page, and SP metadata that offers SHA-256 only."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from djangosaml2 import views as djangosaml2
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from jitsuin.sso.identities import SsoRefused
from jitsuin.sso.responses import mark_session, refusal_page
from jitsuin.sso.saml.metadata import MetadataUnavailable

logger = logging.getLogger(__name__)

ALGSUPPORT = "urn:oasis:names:tc:SAML:metadata:algsupport"
# What the SP metadata advertises; pysaml2 lists every algorithm xmlsec1 knows (MD5, SHA-1, DSA).
ADVERTISED = {"DigestMethod": {DIGEST_SHA256}, "SigningMethod": {SIG_RSA_SHA256}}


class MetadataGuard:
    """No usable IdP metadata: say so on the bilingual page (503), not with a traceback."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except MetadataUnavailable as exc:
            logger.warning("SAML sign-in without metadata: %s", exc)
            refused = SsoRefused("metadata", method="saml", detail=str(exc)[:500])
            return refusal_page(request, refused, status=503)


class LoginView(MetadataGuard, djangosaml2.LoginView):
    def unknown_idp(self, request: HttpRequest, idp: str) -> HttpResponse:
        refused = SsoRefused("idp-not-allowed", method="saml", issuer=str(idp)[:500])
        return refusal_page(request, refused)


# The IdP posts these from its own site: no CSRF token can be there (djangosaml2 exempts them
# on its own dispatch, which MetadataGuard's replaces). The SAML message's signature and
# InResponseTo bind the post instead.
@method_decorator(csrf_exempt, name="dispatch")
class AssertionConsumerServiceView(MetadataGuard, djangosaml2.AssertionConsumerServiceView):
    def post_login_hook(self, request: HttpRequest, user: Any, session_info: dict) -> None:
        mark_session(request, "saml")


class LogoutInitView(MetadataGuard, djangosaml2.LogoutInitView):
    pass


@method_decorator(csrf_exempt, name="dispatch")
class LogoutView(MetadataGuard, djangosaml2.LogoutView):
    pass


_sp_only: dict[str, tuple[str, SPConfig]] = {}


def sp_only_config() -> SPConfig:
    """The SP's own configuration without IdP metadata: the SP metadata must stay available to
    the federation even while the IdP metadata cannot be loaded."""
    key = json.dumps(settings.SAML_CONFIG, sort_keys=True, default=str)
    cached = _sp_only.get("sp")
    if cached is None or cached[0] != key:
        conf = SPConfig()
        conf.load(copy.deepcopy(settings.SAML_CONFIG))
        cached = _sp_only["sp"] = (key, conf)
    return cached[1]


def sp_metadata_xml(conf: SPConfig) -> str:
    """The SP's metadata document, advertising SHA-256 digest and RSA-SHA256 signing only."""
    descriptor = entity_descriptor(conf)
    if descriptor.extensions is not None:
        descriptor.extensions.extension_elements = [
            element
            for element in descriptor.extensions.extension_elements
            if element.namespace != ALGSUPPORT
            or element.attributes.get("Algorithm") in ADVERTISED.get(element.tag, ())
        ]
    return str(descriptor)


class MetadataView(View):
    """The SP metadata the federation fetches (reachable from outside the campus)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(
            sp_metadata_xml(sp_only_config()).encode(),
            content_type="application/samlmetadata+xml; charset=utf-8",
        )
