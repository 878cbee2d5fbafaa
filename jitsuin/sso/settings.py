"""Single sign-on for production, configured only when its environment variables are set.

- OpenID Connect (mozilla-django-oidc): ``JITSUIN_OIDC_CLIENT_ID``, ``JITSUIN_OIDC_CLIENT_SECRET``,
  ``JITSUIN_OIDC_AUTHORIZATION_ENDPOINT``, ``JITSUIN_OIDC_TOKEN_ENDPOINT``,
  ``JITSUIN_OIDC_USERINFO_ENDPOINT``, ``JITSUIN_OIDC_JWKS_ENDPOINT``; optional
  ``JITSUIN_OIDC_SIGN_ALGO`` (RS256) and ``JITSUIN_OIDC_USERNAME_CLAIM`` (preferred_username).
- SAML 2.0 / Shibboleth (djangosaml2, needs Debian's ``xmlsec1``): ``JITSUIN_SAML_METADATA_URL``
  or ``JITSUIN_SAML_METADATA_FILE``; optional ``JITSUIN_SAML_KEY_FILE``/``JITSUIN_SAML_CERT_FILE``
  (the SP's signing pair), ``JITSUIN_SAML_USERNAME_ATTRIBUTE`` (eduPersonPrincipalName),
  ``JITSUIN_XMLSEC1`` (/usr/bin/xmlsec1).

Local accounts (password, TOTP) always stay available for the embedded default and for staff.
This module reads only ``JitsuinConfig``: settings.py calls ``sso_settings`` at import time;
``JITSUIN_SSO_METHODS`` (a setting) tells the sign-in page which buttons to show.
"""

from __future__ import annotations

from typing import Any

from jitsuin.config import ConfigError, JitsuinConfig, current

# Kept here, not imported from identities (which needs Django's models, not ready at settings time).
PROVISIONING_MODES = ("off", "update", "create")

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OIDC_BACKEND = "jitsuin.access.oidc.UidOIDCBackend"
SAML_BACKEND = "djangosaml2.backends.Saml2Backend"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

_OIDC_REQUIRED = (
    "JITSUIN_OIDC_CLIENT_SECRET",
    "JITSUIN_OIDC_AUTHORIZATION_ENDPOINT",
    "JITSUIN_OIDC_TOKEN_ENDPOINT",
    "JITSUIN_OIDC_USERINFO_ENDPOINT",
    "JITSUIN_OIDC_JWKS_ENDPOINT",
)


def oidc_enabled(config: JitsuinConfig) -> bool:
    return bool(config.extra.get("JITSUIN_OIDC_CLIENT_ID"))


def saml_enabled(config: JitsuinConfig) -> bool:
    env = config.extra
    return bool(env.get("JITSUIN_SAML_METADATA_URL") or env.get("JITSUIN_SAML_METADATA_FILE"))


def enabled_methods(config: JitsuinConfig | None = None) -> list[str]:
    config = config or current()
    return [
        name for name, on in (("oidc", oidc_enabled(config)), ("saml", saml_enabled(config))) if on
    ]


def _oidc(config: JitsuinConfig) -> dict[str, Any]:
    env = config.extra
    missing = [name for name in _OIDC_REQUIRED if not env.get(name)]
    if missing:
        raise ConfigError(
            "JITSUIN_OIDC_CLIENT_ID is set but these are missing: " + ", ".join(missing)
        )
    return {
        "OIDC_RP_CLIENT_ID": env["JITSUIN_OIDC_CLIENT_ID"],
        "OIDC_RP_CLIENT_SECRET": env["JITSUIN_OIDC_CLIENT_SECRET"],
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env["JITSUIN_OIDC_AUTHORIZATION_ENDPOINT"],
        "OIDC_OP_TOKEN_ENDPOINT": env["JITSUIN_OIDC_TOKEN_ENDPOINT"],
        "OIDC_OP_USER_ENDPOINT": env["JITSUIN_OIDC_USERINFO_ENDPOINT"],
        "OIDC_OP_JWKS_ENDPOINT": env["JITSUIN_OIDC_JWKS_ENDPOINT"],
        "OIDC_RP_SIGN_ALGO": env.get("JITSUIN_OIDC_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_USERNAME_CLAIM": env.get("JITSUIN_OIDC_USERNAME_CLAIM", "preferred_username"),
        "OIDC_CREATE_USER": True,
        "LOGIN_REDIRECT_URL_FAILURE": "/account/login/",
    }


def _saml(config: JitsuinConfig) -> dict[str, Any]:
    env = config.extra
    base = config.public_url
    metadata: dict[str, Any] = {}
    if env.get("JITSUIN_SAML_METADATA_URL"):
        metadata["remote"] = [{"url": env["JITSUIN_SAML_METADATA_URL"]}]
    if env.get("JITSUIN_SAML_METADATA_FILE"):
        metadata["local"] = [env["JITSUIN_SAML_METADATA_FILE"]]
    username_attribute = env.get("JITSUIN_SAML_USERNAME_ATTRIBUTE", "eduPersonPrincipalName")
    saml_config: dict[str, Any] = {
        "xmlsec_binary": env.get("JITSUIN_XMLSEC1", "/usr/bin/xmlsec1"),
        "entityid": f"{base}/account/saml2/metadata/",
        "service": {
            "sp": {
                "name": "jitsuin",
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}/account/saml2/acs/", HTTP_POST)],
                    "single_logout_service": [
                        (f"{base}/account/saml2/ls/", HTTP_REDIRECT),
                        (f"{base}/account/saml2/ls/post/", HTTP_POST),
                    ],
                },
                "allow_unsolicited": False,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "required_attributes": [username_attribute],
            }
        },
        "metadata": metadata,
        "debug": 0,
    }
    if env.get("JITSUIN_SAML_KEY_FILE") and env.get("JITSUIN_SAML_CERT_FILE"):
        saml_config["key_file"] = env["JITSUIN_SAML_KEY_FILE"]
        saml_config["cert_file"] = env["JITSUIN_SAML_CERT_FILE"]
    return {
        "SAML_CONFIG": saml_config,
        "SAML_DJANGO_USER_MAIN_ATTRIBUTE": "username",
        "SAML_USE_NAME_ID_AS_USERNAME": False,
        "SAML_CREATE_UNKNOWN_USER": True,
        "SAML_ATTRIBUTE_MAPPING": {
            username_attribute: ("username",),
            "mail": ("email",),
            "givenName": ("first_name",),
            "sn": ("last_name",),
        },
        "SAML_SESSION_COOKIE_NAME": "jitsuin_saml",
        "ACS_DEFAULT_REDIRECT_URL": "/",
        # jitsuin's own middleware sets the Content-Security-Policy on every response.
        "SAML_CSP_HANDLER": "",
    }


def _common(config: JitsuinConfig) -> dict[str, Any]:
    """Settings both protocols share: provisioning and the clock skew tolerated."""
    env = config.extra
    mode = env.get("JITSUIN_SSO_PROVISIONING", "off").strip().lower() or "off"
    if mode not in PROVISIONING_MODES:
        raise ConfigError(
            f"JITSUIN_SSO_PROVISIONING must be one of {', '.join(PROVISIONING_MODES)}, not {mode!r}"
        )
    skew_text = env.get("JITSUIN_SSO_CLOCK_SKEW", "60").strip()
    try:
        skew = int(skew_text)
    except ValueError:
        skew = -1
    if not 0 <= skew <= 600:
        raise ConfigError(
            f"JITSUIN_SSO_CLOCK_SKEW must be a number of seconds from 0 to 600, not {skew_text!r}"
        )
    return {"JITSUIN_SSO_PROVISIONING": mode, "JITSUIN_SSO_CLOCK_SKEW": skew}


def sso_settings(config: JitsuinConfig) -> dict[str, Any]:
    """Django settings for the configured sign-in methods (always at least local accounts).

    ``EXTRA_APPS`` and ``EXTRA_MIDDLEWARE`` are for settings.py to append, not settings.
    """
    backends = [MODEL_BACKEND]
    extra: dict[str, Any] = _common(config)
    apps: list[str] = []
    middleware: list[str] = []
    if oidc_enabled(config):
        backends.insert(0, OIDC_BACKEND)
        apps.append("mozilla_django_oidc")
        extra.update(_oidc(config))
    if saml_enabled(config):
        backends.insert(0, SAML_BACKEND)
        apps.append("djangosaml2")
        middleware.append("djangosaml2.middleware.SamlSessionMiddleware")
        extra.update(_saml(config))
    return {
        "JITSUIN_SSO_METHODS": enabled_methods(config),
        "AUTHENTICATION_BACKENDS": backends,
        "EXTRA_APPS": apps,
        "EXTRA_MIDDLEWARE": middleware,
        **extra,
    }
