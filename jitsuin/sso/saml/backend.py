"""SAML sign-in: a verified assertion becomes an ``SsoAssertion`` for ``identities.sign_in``.

djangosaml2 and pysaml2 have checked the signature, audience, time and replay by the time
``authenticate`` runs; this backend adds the federation rules (the asserting IdP is allowed, the
ePPN's scope belongs to it) and never looks a user up by name itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from djangosaml2.backends import Saml2Backend
from saml2.response import (
    RequestVersionTooLow,
    StatusAuthnFailed,
    StatusRequestDenied,
    UnsolicitedResponse,
)
from saml2.sigver import SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from jitsuin.sso.identities import SsoAssertion, SsoRefused, sign_in
from jitsuin.sso.responses import refusal_page
from jitsuin.sso.saml.config import sp_config
from jitsuin.sso.saml.metadata import MetadataUnavailable
from jitsuin.sso.saml.scopes import allowed_scopes, check_issuer, check_scope

logger = logging.getLogger(__name__)

# What a pysaml2/djangosaml2 failure tells the person (anything else: the answer did not verify).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (UnsolicitedResponse, "state"),
    (StatusRequestDenied, "cancelled"),
    (StatusAuthnFailed, "cancelled"),
    (MetadataUnavailable, "metadata"),
    (SignatureError, "token"),
    (SigverError, "token"),
    (ResponseLifetimeExceed, "token"),
    (ToEarly, "token"),
    (RequestVersionTooLow, "token"),
)


def _first(values: Sequence[str] | str | None) -> str:
    if isinstance(values, str):
        return values.strip()
    return next((str(v).strip() for v in values or () if str(v).strip()), "")


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def assertion_from(session_info: Mapping[str, Any], uid_attribute: str) -> SsoAssertion:
    """The identity interface's view of a verified SAML assertion (``session_info`` from pysaml2,
    attributes by friendly name). The uid and subject are the scoped ePPN."""
    ava: Mapping[str, Sequence[str]] = session_info.get("ava") or {}
    uid = _first(ava.get(uid_attribute))
    affiliations = list(dict.fromkeys(v.strip() for v in ava.get("eduPersonAffiliation", ()) if v))
    return SsoAssertion(
        method="saml",
        issuer=str(session_info.get("issuer") or ""),
        subject=uid,
        uid=uid,
        email=_first(ava.get("mail")),
        name_en=_first(ava.get("displayName"))
        or _joined(_first(ava.get("givenName")), _first(ava.get("sn"))),
        name_ja=_first(ava.get("jaDisplayName"))
        or _joined(_first(ava.get("jasn")), _first(ava.get("jaGivenName"))),
        affiliation=", ".join(affiliations)[:200] or _first(ava.get("ou")),
        attributes={name: list(values) for name, values in ava.items()},
    )


class SamlBackend(Saml2Backend):
    """djangosaml2's backend with jitsuin's rules: IdP allowed, ePPN scope bound to the IdP,
    user found or made only by ``identities.sign_in``."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        session_info: Mapping[str, Any] | None = None,
        attribute_mapping: Any = None,
        create_unknown_user: bool = False,
        assertion_info: Any = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if session_info is None or "ava" not in session_info:
            return None  # not a SAML sign-in
        try:
            assertion = self.checked_assertion(request, session_info)
            return sign_in(request, assertion)
        except SsoRefused as refused:
            logger.info("SAML sign-in refused: %s", refused)
            if request is not None:
                request.sso_refused = refused  # type: ignore[attr-defined]
            return None

    def checked_assertion(
        self, request: HttpRequest | None, session_info: Mapping[str, Any]
    ) -> SsoAssertion:
        """The assertion, once the IdP and the uid's scope passed the federation rules."""
        uid_attribute = getattr(settings, "JITSUIN_SAML_UID_ATTRIBUTE", "eduPersonPrincipalName")
        institution = getattr(settings, "JITSUIN_SAML_IDP", "")
        assertion = assertion_from(session_info, uid_attribute)
        check_issuer(assertion.issuer, institution=institution)
        if not assertion.uid:
            raise SsoRefused("no-uid", method="saml", issuer=assertion.issuer)
        if getattr(settings, "JITSUIN_SAML_UID_SCOPED", True):
            scopes = allowed_scopes(
                sp_config(request).metadata,
                assertion.issuer,
                institution=institution,
                configured=getattr(settings, "JITSUIN_SAML_SCOPES", ()),
            )
            check_scope(assertion.uid, assertion.issuer, scopes)
        return assertion


def refusal_for(exception: BaseException | None, issuer: str = "") -> SsoRefused:
    """The refusal to show for a failure inside djangosaml2/pysaml2 (no backend refusal)."""
    reason = next((r for kind, r in _REASONS if isinstance(exception, kind)), "token")
    detail = f"{type(exception).__name__}: {exception}" if exception is not None else ""
    return SsoRefused(reason, method="saml", issuer=issuer, detail=detail[:500])


def acs_failure(
    request: HttpRequest,
    exception: BaseException | None = None,
    status: int = 403,
    **kwargs: Any,
) -> HttpResponse:
    """``SAML_ACS_FAILURE_RESPONSE_FUNCTION``: the bilingual refusal page, audited — the
    backend's own refusal when it made one, else the protocol failure's reason."""
    refused = getattr(request, "sso_refused", None)
    if isinstance(refused, SsoRefused):
        return refusal_page(request, refused)
    issuer = str((kwargs.get("session_info") or {}).get("issuer") or "")
    return refusal_page(request, refusal_for(exception, issuer), status=status)
