"""Which IdP may assert which uid: the federation's scope rule (review C1).

A scoped uid (``s2310002@example.ac.jp``) is accepted only from an IdP whose metadata lists that
scope (``<shibmd:Scope>``, literal or ``regexp="true"``), or, for the institution's own IdP
(``JITSUIN_SAML_IDP``) when its metadata lists none, from ``JITSUIN_SAML_SCOPES``. Another
university's IdP asserting a local ePPN is refused, as is any IdP but ``JITSUIN_SAML_IDP`` when
that is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from saml2.mdstore import MetadataStore

from jitsuin.sso.identities import SsoRefused


@dataclass(frozen=True)
class Scope:
    """One allowed scope: a literal domain, or a regular expression the whole scope must match."""

    text: str
    regexp: bool = False

    def allows(self, scope: str) -> bool:
        if self.regexp:
            return re.fullmatch(self.text, scope) is not None
        return scope.lower() == self.text.lower()


def metadata_scopes(metadata: MetadataStore, idp: str) -> list[Scope]:
    """The ``<shibmd:Scope>`` values of ``idp`` (entity and IDPSSODescriptor extensions)."""
    found = metadata.shibmd_scopes(idp, typ="idpsso_descriptor")
    return [
        Scope(item["text"].pattern if item["regexp"] else item["text"], item["regexp"])
        for item in found
    ]


def allowed_scopes(
    metadata: MetadataStore, idp: str, *, institution: str, configured: Iterable[str]
) -> list[Scope]:
    """The scopes ``idp`` may assert: its metadata's, or the configured ones for the
    institution's own IdP when its metadata lists none."""
    scopes = metadata_scopes(metadata, idp)
    if not scopes and institution and idp == institution:
        scopes = [Scope(text) for text in configured]
    return scopes


def check_issuer(idp: str, *, institution: str) -> None:
    """Refuse every IdP but the institution's own when ``JITSUIN_SAML_IDP`` is set."""
    if institution and idp != institution:
        raise SsoRefused("idp-not-allowed", method="saml", issuer=idp)


def check_scope(uid: str, idp: str, scopes: list[Scope]) -> None:
    """Refuse ``uid`` unless its part after the last '@' is a scope ``idp`` is allowed."""
    user, at, scope = uid.rpartition("@")
    if not at or not user or not scope:
        raise SsoRefused("scope", method="saml", issuer=idp, uid=uid, detail="no scope in uid")
    if not any(allowed.allows(scope) for allowed in scopes):
        raise SsoRefused(
            "scope",
            method="saml",
            issuer=idp,
            uid=uid,
            detail=f"scope {scope!r} is not one of {[s.text for s in scopes]}",
        )
