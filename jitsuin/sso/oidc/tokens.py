"""ID token validation (OpenID Connect Core 3.1.3.7), done by PyJWT with every check on."""

from __future__ import annotations

from typing import Any

import jwt
from django.core.exceptions import SuspiciousOperation

REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat"]


class TokenRefused(SuspiciousOperation):
    """An ID token (or signed userinfo) that must not be believed; the message says why."""


def verify_id_token(
    token: str,
    key: Any,
    *,
    algorithm: str,
    issuer: str,
    client_id: str,
    leeway: int,
    nonce: str | None,
) -> dict[str, Any]:
    """The claims of ``token`` when it is signed by ``key`` with ``algorithm`` (no other), issued
    by exactly ``issuer`` for ``client_id`` (``azp`` too when there are several audiences),
    carries ``exp`` and ``iat`` (checked with ``leeway`` seconds), a ``sub`` and the ``nonce``
    of this sign-in; ``TokenRefused`` otherwise."""
    if not isinstance(token, str) or not token:
        raise TokenRefused("the token endpoint sent no ID token")
    try:
        header_alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"ID token unreadable: {exc}") from exc
    if header_alg != algorithm:
        raise TokenRefused(f"ID token signed with {header_alg!r}, not {algorithm}")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=leeway,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True},
        )
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"ID token refused: {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise TokenRefused(f"ID token authorized party {azp!r} is not {client_id!r}")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise TokenRefused("ID token has an empty subject")
    if nonce is None or claims.get("nonce") != nonce:
        raise TokenRefused("ID token nonce does not match this sign-in")
    return claims


def verify_signed_userinfo(
    token: str, key: Any, *, algorithm: str, issuer: str, client_id: str
) -> dict[str, Any]:
    """Userinfo sent as a signed JWT (Core 5.3.2): its signature, and ``iss``/``aud`` when given."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            options={"verify_signature": True, "verify_aud": False, "verify_iss": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"signed userinfo refused: {exc}") from exc
    if "iss" in claims and claims["iss"] != issuer:
        raise TokenRefused(f"signed userinfo issuer {claims['iss']!r} is not {issuer!r}")
    if "aud" in claims:
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if client_id not in audiences:
            raise TokenRefused("signed userinfo is for another client")
    return claims
