"""The ``JITSUIN_OIDC_*`` variables (parsed by ``jitsuin.config``) turned into Django settings.

Nothing here talks to the OpenID Provider: start-up must not need it. The endpoints come
from discovery (``jitsuin.sso.oidc.discovery``) at the first sign-in; an explicit
``JITSUIN_OIDC_*_ENDPOINT`` variable overrides the discovered value.
"""

from __future__ import annotations

from typing import Any

from jitsuin.config import JitsuinConfig

SIGNED_OUT_PATH = "/account/signed-out/"


def oidc_settings(config: JitsuinConfig) -> dict[str, Any]:
    """Django settings for OpenID Connect sign-in from ``config.sso.oidc``.

    ``jitsuin.config.OidcConfig`` parses and checks the variables at start-up: it needs
    ``JITSUIN_OIDC_ISSUER``, ``JITSUIN_OIDC_CLIENT_ID`` and ``JITSUIN_OIDC_CLIENT_SECRET``;
    reads ``JITSUIN_OIDC_SIGN_ALGO`` (RS256), ``JITSUIN_OIDC_SCOPES`` (openid email profile),
    ``JITSUIN_OIDC_UID_CLAIM`` (the older ``JITSUIN_OIDC_USERNAME_CLAIM``; preferred_username),
    and the optional ``JITSUIN_OIDC_*_ENDPOINT`` overrides.
    """
    oidc = config.sso.oidc
    return {
        "OIDC_RP_CLIENT_ID": oidc.client_id,
        "OIDC_RP_CLIENT_SECRET": oidc.client_secret,
        "OIDC_RP_SIGN_ALGO": oidc.sign_algo,
        "OIDC_RP_SCOPES": oidc.scopes,
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
        "JITSUIN_OIDC_ISSUER": oidc.issuer,
        "JITSUIN_OIDC_ENDPOINTS": dict(oidc.endpoints),
        "JITSUIN_OIDC_UID_CLAIM": oidc.uid_claim,
        "JITSUIN_OIDC_CACHE_DIR": str(config.data_dir / "oidc"),
        "JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI": config.public_url + SIGNED_OUT_PATH,
    }
