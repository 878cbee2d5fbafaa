"""What an OpenID Provider said about a person, as the identity layer's ``SsoAssertion``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jitsuin.sso.identities import SsoAssertion

# Protocol values of one sign-in, not facts about the person: not kept with the identity.
NOT_ATTRIBUTES = frozenset({"nonce", "at_hash", "c_hash", "s_hash", "auth_time", "exp", "iat"})


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _first(claims: Mapping[str, Any], *names: str) -> str:
    return next((text for text in (_text(claims, name) for name in names) if text), "")


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def name_ja(claims: Mapping[str, Any]) -> str:
    """The Japanese name: ``name#ja`` (or ``name#ja-Jpan-JP``), else family and given name
    in Japanese order (OIDC Core 5.2 language tags)."""
    return _first(claims, "name#ja", "name#ja-Jpan-JP") or _joined(
        _first(claims, "family_name#ja", "family_name#ja-Jpan-JP"),
        _first(claims, "given_name#ja", "given_name#ja-Jpan-JP"),
    )


def name_kana(claims: Mapping[str, Any]) -> str:
    """The reading of the Japanese name: ``name#ja-Kana-JP`` (OIDC Core 5.2's own example),
    else family and given name in that script; hiragana (``#ja-Hira-JP``) is read too."""
    return _first(claims, "name#ja-Kana-JP", "name#ja-Hira-JP") or _joined(
        _first(claims, "family_name#ja-Kana-JP", "family_name#ja-Hira-JP"),
        _first(claims, "given_name#ja-Kana-JP", "given_name#ja-Hira-JP"),
    )


def name_en(claims: Mapping[str, Any]) -> str:
    """The Latin name: ``name``, else given and family name."""
    return _text(claims, "name") or _joined(
        _text(claims, "given_name"), _text(claims, "family_name")
    )


def affiliation(claims: Mapping[str, Any]) -> str:
    """``eduperson_affiliation`` (a list or one value), joined with commas."""
    value = claims.get("eduperson_affiliation")
    values = value if isinstance(value, list) else [value]
    return ", ".join(dict.fromkeys(str(v).strip() for v in values if v and str(v).strip()))


def email(claims: Mapping[str, Any]) -> str:
    """The e-mail claim, unless the provider says it has not verified it."""
    if claims.get("email_verified") in (False, "false"):
        return ""
    return _text(claims, "email")


def assertion(claims: Mapping[str, Any], *, uid_claim: str) -> SsoAssertion:
    """The assertion of one checked sign-in: ``claims`` are the ID token's (``iss`` and
    ``sub`` verified) merged with userinfo's; the uid is ``uid_claim`` ("" when absent)."""
    uid = claims.get(uid_claim)
    if isinstance(uid, int) and not isinstance(uid, bool):  # a numeric staff or student number
        uid = str(uid)
    return SsoAssertion(
        method="oidc",
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        uid=uid.strip() if isinstance(uid, str) else "",
        email=email(claims),
        name_en=name_en(claims),
        name_ja=name_ja(claims),
        name_kana=name_kana(claims),
        affiliation=affiliation(claims),
        attributes={k: v for k, v in claims.items() if k not in NOT_ATTRIBUTES},
    )
