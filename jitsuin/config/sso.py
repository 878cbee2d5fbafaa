"""``JitsuinConfig.sso``: the ``JITSUIN_SSO_*``, ``JITSUIN_OIDC_*`` and ``JITSUIN_SAML_*`` values.

The SAML metadata itself is read and checked by ``jitsuin.sso.saml.config``, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jitsuin.config.values import ConfigError, readable_file

OIDC_SIGN_ALGORITHMS = (
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
OIDC_ENDPOINT_VARIABLES = {
    "JITSUIN_OIDC_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "JITSUIN_OIDC_TOKEN_ENDPOINT": "token_endpoint",
    "JITSUIN_OIDC_USERINFO_ENDPOINT": "userinfo_endpoint",
    "JITSUIN_OIDC_JWKS_ENDPOINT": "jwks_uri",
    "JITSUIN_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
}
_HTTP_URL = re.compile(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")


def _oidc_url(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not _HTTP_URL.match(value):
        raise ConfigError(f"{name}: {value!r} is not an https:// or http:// URL")
    return value


@dataclass(frozen=True)
class OidcConfig:
    """OpenID Connect sign-in, on when ``client_id`` is set (docs/sso.md)."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    sign_algo: str = "RS256"
    scopes: str = "openid email profile"
    uid_claim: str = "preferred_username"
    # Explicit endpoints by the discovery document's field name; they override discovery.
    endpoints: Mapping[str, str] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcConfig:
        client_id = (env.get("JITSUIN_OIDC_CLIENT_ID") or "").strip()
        issuer = (env.get("JITSUIN_OIDC_ISSUER") or "").strip()
        if client_id and not issuer:
            raise ConfigError(
                "JITSUIN_OIDC_ISSUER: missing (the OpenID Provider's issuer URL, "
                "e.g. https://idp.example.ac.jp; its endpoints are discovered from it)"
            )
        # OIDC Discovery 3: the issuer is an https URL with no query or fragment (http for tests).
        if issuer and not _HTTP_URL.match(issuer):
            raise ConfigError(
                f"JITSUIN_OIDC_ISSUER: {issuer!r} is not an https:// or http:// URL "
                "without query or fragment"
            )
        secret = env.get("JITSUIN_OIDC_CLIENT_SECRET") or ""
        if client_id and not secret.strip():
            raise ConfigError(
                "JITSUIN_OIDC_CLIENT_SECRET: missing (from the client registration at the provider)"
            )
        if secret.strip() and not client_id:
            raise ConfigError(
                "JITSUIN_OIDC_CLIENT_ID: missing (from the client registration at the provider)"
            )
        algorithm = (env.get("JITSUIN_OIDC_SIGN_ALGO") or "RS256").strip()
        if algorithm not in OIDC_SIGN_ALGORITHMS:
            raise ConfigError(
                f"JITSUIN_OIDC_SIGN_ALGO: {algorithm!r} unknown (use one of "
                + ", ".join(OIDC_SIGN_ALGORITHMS)
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
        endpoints = {
            name: _oidc_url(env, variable)
            for variable, name in OIDC_ENDPOINT_VARIABLES.items()
            if env.get(variable)
        }
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            sign_algo=algorithm,
            scopes=scopes,
            uid_claim=uid_claim,
            endpoints=endpoints,
        )


SAML_DEFAULT_UID_ATTRIBUTE = "eduPersonPrincipalName"
SAML_DEFAULT_METADATA_MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class SamlConfig:
    """SAML 2.0 sign-in, on when a metadata URL or file is set (docs/sso.md). The metadata
    itself is read and checked by ``jitsuin.sso.saml.config``, not here."""

    metadata_url: str = ""
    metadata_file: Path | None = None
    metadata_cert: Path | None = None  # the federation's metadata signing certificate
    metadata_max_bytes: int = SAML_DEFAULT_METADATA_MAX_BYTES
    idp: str = ""  # the institution's IdP (entity ID), when the metadata lists several
    scopes: tuple[str, ...] = ()  # the scopes ``idp`` may assert
    uid_attribute: str = SAML_DEFAULT_UID_ATTRIBUTE
    key_file: Path | None = None  # the SP key pair: signs requests, decrypts assertions
    cert_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.metadata_url or self.metadata_file)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SamlConfig:
        url = (env.get("JITSUIN_SAML_METADATA_URL") or "").strip()
        file = readable_file(env, "JITSUIN_SAML_METADATA_FILE")
        cert = readable_file(env, "JITSUIN_SAML_METADATA_CERT")
        if url and file:
            raise ConfigError(
                "JITSUIN_SAML_METADATA_URL and JITSUIN_SAML_METADATA_FILE are both set: use one"
            )
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"JITSUIN_SAML_METADATA_URL: {url!r} is not an http(s) URL")
        if url and cert is None:
            raise ConfigError(
                "JITSUIN_SAML_METADATA_URL needs JITSUIN_SAML_METADATA_CERT (the federation's "
                "metadata signing certificate, PEM): unsigned remote metadata can add any IdP"
            )
        raw_max = (env.get("JITSUIN_SAML_METADATA_MAX_BYTES") or "").replace("_", "").strip()
        if raw_max and (not raw_max.isdigit() or int(raw_max) < 1024):
            raise ConfigError(
                f"JITSUIN_SAML_METADATA_MAX_BYTES: {raw_max!r} is not a size of 1024 or more"
            )
        idp = (env.get("JITSUIN_SAML_IDP") or "").strip()
        scopes = tuple((env.get("JITSUIN_SAML_SCOPES") or "").replace(",", " ").split())
        if scopes and not idp:
            raise ConfigError(
                "JITSUIN_SAML_SCOPES needs JITSUIN_SAML_IDP (the IdP those scopes are allowed for)"
            )
        key = readable_file(env, "JITSUIN_SAML_KEY_FILE")
        cert_file = readable_file(env, "JITSUIN_SAML_CERT_FILE")
        if (key is None) != (cert_file is None):
            missing = "JITSUIN_SAML_CERT_FILE" if cert_file is None else "JITSUIN_SAML_KEY_FILE"
            raise ConfigError(f"{missing}: the SP key pair needs both the key and the certificate")
        uid = (
            env.get("JITSUIN_SAML_UID_ATTRIBUTE")
            or env.get("JITSUIN_SAML_USERNAME_ATTRIBUTE")
            or SAML_DEFAULT_UID_ATTRIBUTE
        ).strip()
        return cls(
            metadata_url=url,
            metadata_file=file,
            metadata_cert=cert,
            metadata_max_bytes=int(raw_max) if raw_max else SAML_DEFAULT_METADATA_MAX_BYTES,
            idp=idp,
            scopes=scopes,
            uid_attribute=uid,
            key_file=key,
            cert_file=cert_file,
        )


SSO_PROVISIONING_MODES = ("off", "update", "create")
SSO_MAX_CLOCK_SKEW = 600


@dataclass(frozen=True)
class SsoConfig:
    """Single sign-on (docs/sso.md); local accounts always stay available."""

    provisioning: str = "off"  # what a first sign-in may do: off, update or create
    clock_skew: int = 60  # seconds of IdP clock difference tolerated
    xmlsec1: str = "/usr/bin/xmlsec1"
    oidc: OidcConfig = field(default_factory=OidcConfig)
    saml: SamlConfig = field(default_factory=SamlConfig)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SsoConfig:
        mode = (env.get("JITSUIN_SSO_PROVISIONING") or "off").strip().lower() or "off"
        if mode not in SSO_PROVISIONING_MODES:
            raise ConfigError(
                f"JITSUIN_SSO_PROVISIONING must be one of {', '.join(SSO_PROVISIONING_MODES)}, "
                f"not {mode!r}"
            )
        raw_skew = (env.get("JITSUIN_SSO_CLOCK_SKEW") or "").strip()
        if raw_skew and (not raw_skew.isdigit() or int(raw_skew) > SSO_MAX_CLOCK_SKEW):
            raise ConfigError(
                "JITSUIN_SSO_CLOCK_SKEW must be a number of seconds from 0 to "
                f"{SSO_MAX_CLOCK_SKEW}, not {raw_skew!r}"
            )
        return cls(
            provisioning=mode,
            clock_skew=int(raw_skew) if raw_skew else 60,
            xmlsec1=(env.get("JITSUIN_XMLSEC1") or "").strip() or "/usr/bin/xmlsec1",
            oidc=OidcConfig.from_env(env),
            saml=SamlConfig.from_env(env),
        )
