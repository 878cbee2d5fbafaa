"""Single sign-on settings, configured only when their environment variables are set.

- OpenID Connect (``jitsuin.sso.oidc.config``): on when ``JITSUIN_OIDC_CLIENT_ID`` is set.
- SAML 2.0 / GakuNin (``jitsuin.sso.saml.config``): on when ``JITSUIN_SAML_METADATA_URL`` or
  ``JITSUIN_SAML_METADATA_FILE`` is set.
- Both: ``JITSUIN_SSO_PROVISIONING`` and ``JITSUIN_SSO_CLOCK_SKEW``.

docs/sso.md lists every variable; ``jitsuin.config`` parses them all (``JitsuinConfig.sso``).
Local accounts (password, TOTP) always stay available. This module turns that part into
Django settings: settings.py calls ``sso_settings`` at import time;
``JITSUIN_SSO_METHODS`` (a setting) tells the sign-in page which buttons to show.
"""

from __future__ import annotations

from typing import Any

from jitsuin.config import JitsuinConfig, current
from jitsuin.sso.oidc.config import oidc_settings
from jitsuin.sso.saml.config import saml_settings

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OIDC_BACKEND = "jitsuin.sso.oidc.backend.OidcBackend"
SAML_BACKEND = "jitsuin.sso.saml.backend.SamlBackend"


def oidc_enabled(config: JitsuinConfig) -> bool:
    return config.sso.oidc.enabled


def saml_enabled(config: JitsuinConfig) -> bool:
    return config.sso.saml.enabled


def enabled_methods(config: JitsuinConfig | None = None) -> list[str]:
    config = config or current()
    return [
        name for name, on in (("oidc", oidc_enabled(config)), ("saml", saml_enabled(config))) if on
    ]


def _common(config: JitsuinConfig) -> dict[str, Any]:
    """Settings both protocols share: provisioning and the clock skew tolerated."""
    return {
        # jitsuin's own middleware sets the Content-Security-Policy on every response;
        # djangosaml2 (imported by the sign-out even with SAML off) would warn otherwise.
        "SAML_CSP_HANDLER": "",
        "JITSUIN_SSO_PROVISIONING": config.sso.provisioning,
        "JITSUIN_SSO_CLOCK_SKEW": config.sso.clock_skew,
    }


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
        extra.update(oidc_settings(config))
    if saml_enabled(config):
        backends.insert(0, SAML_BACKEND)
        apps.append("djangosaml2")
        middleware.append("djangosaml2.middleware.SamlSessionMiddleware")
        extra.update(saml_settings(config))
    return {
        "JITSUIN_SSO_METHODS": enabled_methods(config),
        "AUTHENTICATION_BACKENDS": backends,
        "EXTRA_APPS": apps,
        "EXTRA_MIDDLEWARE": middleware,
        **extra,
    }
