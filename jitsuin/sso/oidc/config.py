"""The ``JITSUIN_OIDC_*`` variables, checked at start-up and turned into Django settings.

Nothing here talks to the OpenID Provider: start-up must not need it. The endpoints come
from discovery (``jitsuin.sso.oidc.discovery``) at the first sign-in; an explicit
``JITSUIN_OIDC_*_ENDPOINT`` variable overrides the discovered value.
"""

from __future__ import annotations

import re
from typing import Any

from jitsuin.config import ConfigError, JitsuinConfig

# Signature algorithms an ID token may be signed with ("none" never).
SIGN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "HS256",
    "HS384",
    "HS512",
)

# JITSUIN_OIDC_<NAME>_ENDPOINT -> the discovery document's field.
ENDPOINT_VARIABLES = {
    "JITSUIN_OIDC_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "JITSUIN_OIDC_TOKEN_ENDPOINT": "token_endpoint",
    "JITSUIN_OIDC_USERINFO_ENDPOINT": "userinfo_endpoint",
    "JITSUIN_OIDC_JWKS_ENDPOINT": "jwks_uri",
    "JITSUIN_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
}

SIGNED_OUT_PATH = "/account/signed-out/"
_HTTP_URL = re.compile(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")


def _url(env: Any, name: str) -> str:
    value = (env.get(name) or "").strip()
    if not _HTTP_URL.match(value):
        raise ConfigError(f"{name}: {value!r} is not an https:// or http:// URL")
    return value


def _issuer(env: Any) -> str:
    issuer = (env.get("JITSUIN_OIDC_ISSUER") or "").strip()
    if not issuer:
        raise ConfigError(
            "JITSUIN_OIDC_ISSUER: missing (the OpenID Provider's issuer URL, "
            "e.g. https://idp.example.ac.jp; its endpoints are discovered from it)"
        )
    # OIDC Discovery 3: the issuer is an https URL with no query or fragment (http for tests).
    if not _HTTP_URL.match(issuer):
        raise ConfigError(
            f"JITSUIN_OIDC_ISSUER: {issuer!r} is not an https:// or http:// URL "
            "without query or fragment"
        )
    return issuer


def oidc_settings(config: JitsuinConfig) -> dict[str, Any]:
    """Django settings for OpenID Connect sign-in, or a ``ConfigError`` naming the variable.

    Needs ``JITSUIN_OIDC_ISSUER``, ``JITSUIN_OIDC_CLIENT_ID`` and ``JITSUIN_OIDC_CLIENT_SECRET``;
    reads ``JITSUIN_OIDC_SIGN_ALGO`` (RS256), ``JITSUIN_OIDC_SCOPES`` (openid email profile),
    ``JITSUIN_OIDC_UID_CLAIM`` (the older ``JITSUIN_OIDC_USERNAME_CLAIM``; preferred_username),
    and the optional ``JITSUIN_OIDC_*_ENDPOINT`` overrides. (``JITSUIN_SSO_CLOCK_SKEW``, shared
    with SAML, is parsed by ``jitsuin.sso.settings``.)
    """
    env = config.extra
    issuer = _issuer(env)
    for name in ("JITSUIN_OIDC_CLIENT_ID", "JITSUIN_OIDC_CLIENT_SECRET"):
        if not (env.get(name) or "").strip():
            raise ConfigError(f"{name}: missing (from the client registration at the provider)")
    algorithm = (env.get("JITSUIN_OIDC_SIGN_ALGO") or "RS256").strip()
    if algorithm not in SIGN_ALGORITHMS:
        raise ConfigError(
            f"JITSUIN_OIDC_SIGN_ALGO: {algorithm!r} unknown (use one of "
            + ", ".join(SIGN_ALGORITHMS)
            + ")"
        )
    scopes = " ".join((env.get("JITSUIN_OIDC_SCOPES") or "openid email profile").split())
    if "openid" not in scopes.split():
        raise ConfigError(f"JITSUIN_OIDC_SCOPES: {scopes!r} lacks the scope openid")
    uid_claim = (
        env.get("JITSUIN_OIDC_UID_CLAIM")
        or env.get("JITSUIN_OIDC_USERNAME_CLAIM")
        or "preferred_username"
    ).strip()
    overrides = {
        field: _url(env, name) for name, field in ENDPOINT_VARIABLES.items() if env.get(name)
    }
    return {
        "OIDC_RP_CLIENT_ID": env["JITSUIN_OIDC_CLIENT_ID"].strip(),
        "OIDC_RP_CLIENT_SECRET": env["JITSUIN_OIDC_CLIENT_SECRET"],
        "OIDC_RP_SIGN_ALGO": algorithm,
        "OIDC_RP_SCOPES": scopes,
        "OIDC_USE_NONCE": True,
        # PKCE (RFC 7636) as well as the nonce; providers without it ignore the parameters.
        "OIDC_USE_PKCE": True,
        "OIDC_STORE_ID_TOKEN": True,  # the id_token_hint of RP-initiated logout
        "OIDC_TIMEOUT": 10,
        "OIDC_CREATE_USER": False,  # users are made by jitsuin.sso.identities.sign_in only
        "OIDC_AUTHENTICATE_CLASS": "jitsuin.sso.oidc.views.SignInStart",
        "OIDC_CALLBACK_CLASS": "jitsuin.sso.oidc.views.SignInCallback",
        "LOGIN_REDIRECT_URL_FAILURE": "/account/login/",
        # jitsuin's own settings, read by jitsuin.sso.oidc only.
        "JITSUIN_OIDC_ISSUER": issuer,
        "JITSUIN_OIDC_ENDPOINTS": overrides,
        "JITSUIN_OIDC_UID_CLAIM": uid_claim,
        "JITSUIN_OIDC_CACHE_DIR": str(config.data_dir / "oidc"),
        "JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI": config.public_url + SIGNED_OUT_PATH,
    }
