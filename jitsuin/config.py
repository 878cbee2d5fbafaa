"""Validated settings read from the environment, once.

Code never reads ``os.environ`` itself: it asks ``jitsuin.config.current()``. Every
``JITSUIN_*`` variable is a typed field of ``JitsuinConfig`` or of one of its parts
(``pipeline``, ``publishing``, ``connector``, ``notify``, ``portal``, ``campaigns``, ``sso``),
parsed in ``from_env``: a value jitsuin cannot use raises ``ConfigError`` naming the variable,
before anything starts. docs/configuration.md lists them all.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}

DEFAULT_ALLOWED_NETWORKS = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)


# Always answered besides JITSUIN_PUBLIC_URL's host: health checks and the machine itself.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class ConfigError(ValueError):
    """A setting has a value jitsuin cannot use; the message names the variable."""


def parse_duration(text: str, *, name: str = "duration") -> timedelta:
    """``0``, ``30s``, ``5m``, ``2h``, ``14d`` (a bare number is seconds)."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"{name}: {text!r} is not a duration like 0, 30s, 5m, 2h or 14d")
    value, unit = match.groups()
    return timedelta(seconds=float(value) * _UNITS[unit])


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: {raw!r} is not a boolean (use 1/0, true/false)")


def _items(raw: str) -> tuple[str, ...]:
    """A list setting: items separated by commas and/or whitespace."""
    return tuple(p for p in re.split(r"[,\s]+", raw) if p)


def _networks(
    env: Mapping[str, str], name: str, default: tuple[str, ...]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = env.get(name)
    items = default if raw is None else _items(raw)
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = (env.get(name) or "").replace("_", "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {env[name]!r} is not a whole number") from exc
    if value < minimum:
        raise ConfigError(f"{name}: {value} is below the minimum of {minimum}")
    return value


def _allowed_hosts(env: Mapping[str, str], public_url: str) -> tuple[str, ...]:
    """JITSUIN_ALLOWED_HOSTS as given (``*`` only then); by default the public URL's host and
    loopback, so a rebound DNS name cannot drive a campus browser against the portal."""
    raw = env.get("JITSUIN_ALLOWED_HOSTS")
    if raw and raw.strip():
        return _items(raw)
    host = urlsplit(public_url).hostname or ""
    if ":" in host:  # an IPv6 literal: Django compares it with its brackets
        host = f"[{host}]"
    return tuple(dict.fromkeys(h for h in (host, *LOOPBACK_HOSTS) if h))


_CONNECTOR_CLASS = re.compile(r"^[A-Za-z_][\w-]*=[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _connectors(env: Mapping[str, str]) -> dict[str, str]:
    """JITSUIN_CONNECTORS: ``name=package.module:Class`` items, each adding a connector or
    replacing one (``builtin`` included) with a class that has ``from_config(config)``."""
    found: dict[str, str] = {}
    for item in _items(env.get("JITSUIN_CONNECTORS") or ""):
        if not _CONNECTOR_CLASS.match(item):
            raise ConfigError(f"JITSUIN_CONNECTORS: {item!r} is not name=package.module:Class")
        name, path = item.split("=", 1)
        found[name] = path
    return found


LOCKOUT_KEYS = ("account", "address", "account+address")


def _positive_duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    value = parse_duration(env.get(name) or default, name=name)
    if value <= timedelta(0):
        raise ConfigError(f"{name}: must be longer than 0")
    return value


def _audit_settings(env: Mapping[str, str]) -> dict[str, object]:
    key = env.get("JITSUIN_AUDIT_KEY") or None
    if key is not None:
        try:
            if len(bytes.fromhex(key)) < 32:
                raise ValueError
        except ValueError as exc:
            raise ConfigError("JITSUIN_AUDIT_KEY: must be at least 32 bytes in hex") from exc
    directory = env.get("JITSUIN_AUDIT_CHECKPOINT_DIR")
    email = (env.get("JITSUIN_AUDIT_EMAIL") or "").strip()
    if email and "@" not in email:
        raise ConfigError(f"JITSUIN_AUDIT_EMAIL: {email!r} is not an e-mail address")
    return {
        "audit_key_hex": key,
        "audit_checkpoint_dir": Path(directory).resolve() if directory else None,
        "audit_checkpoint_every": _positive_duration(env, "JITSUIN_AUDIT_CHECKPOINT_EVERY", "1h"),
        "audit_checkpoint_events": _int(env, "JITSUIN_AUDIT_CHECKPOINT_EVENTS", 1000),
        "audit_email": email,
    }


def _sign_in_settings(env: Mapping[str, str]) -> dict[str, object]:
    """JITSUIN_LOGIN_* (throttling of local sign-in) and JITSUIN_TOTP_ENROLMENT_CODE_TTL."""
    lockout_by = _items(env.get("JITSUIN_LOGIN_LOCKOUT_BY") or "") or ("account",)
    unknown = [p for p in lockout_by if p not in LOCKOUT_KEYS]
    if unknown:
        known = ", ".join(LOCKOUT_KEYS)
        raise ConfigError(f"JITSUIN_LOGIN_LOCKOUT_BY: {', '.join(unknown)} unknown (use {known})")
    cooloff = _positive_duration(env, "JITSUIN_LOGIN_COOLOFF", "5m")
    cooloff_max = _positive_duration(env, "JITSUIN_LOGIN_COOLOFF_MAX", "24h")
    if cooloff_max < cooloff:
        raise ConfigError("JITSUIN_LOGIN_COOLOFF_MAX: shorter than JITSUIN_LOGIN_COOLOFF")
    return {
        "login_failure_limit": _int(env, "JITSUIN_LOGIN_FAILURE_LIMIT", 5),
        "login_cooloff": cooloff,
        "login_cooloff_max": cooloff_max,
        "login_lockout_by": lockout_by,
        "login_address_limit": _int(env, "JITSUIN_LOGIN_ADDRESS_LIMIT", 100, minimum=0),
        "totp_enrolment_code_ttl": _positive_duration(
            env, "JITSUIN_TOTP_ENROLMENT_CODE_TTL", "72h"
        ),
    }


def _duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    return parse_duration(env.get(name) or default, name=name)


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}: {value!r} unknown (use one of {', '.join(choices)})")
    return value


def _readable(env: Mapping[str, str], name: str) -> Path | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ConfigError(f"{name}: {raw} is not a readable file")
    return path


@dataclass(frozen=True)
class PipelineConfig:
    """The request pipeline and the worker's periodic jobs (docs/pipeline.md)."""

    retry_base: timedelta = timedelta(seconds=30)  # the first backoff; it doubles per attempt
    retry_max: timedelta = timedelta(hours=1)  # the longest backoff
    max_attempts: int = 5  # a request fails after this many temporary failures
    scheduler_interval: timedelta = timedelta(seconds=5)  # how often a worker ticks periodic jobs
    sweep_interval: timedelta = timedelta(seconds=30)
    housekeeping_interval: timedelta = timedelta(minutes=5)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PipelineConfig:
        return cls(
            retry_base=_duration(env, "JITSUIN_RETRY_BASE", "30s"),
            retry_max=_duration(env, "JITSUIN_RETRY_MAX", "1h"),
            max_attempts=_int(env, "JITSUIN_MAX_ATTEMPTS", 5),
            scheduler_interval=_duration(env, "JITSUIN_SCHEDULER_INTERVAL", "5s"),
            sweep_interval=_duration(env, "JITSUIN_SWEEP_INTERVAL", "30s"),
            housekeeping_interval=_duration(env, "JITSUIN_HOUSEKEEPING_INTERVAL", "5m"),
        )


@dataclass(frozen=True)
class PublishingConfig:
    """Timings of CRL and OCSP publishing (docs/relying-parties.md)."""

    crl_validity: timedelta = timedelta(days=7)  # nextUpdate - thisUpdate of every CRL
    crl_refresh: timedelta = timedelta(days=1)  # re-sign a CRL at least this often
    crl_debounce: timedelta = timedelta(seconds=10)  # gather revocations into one CRL
    crl_stale_margin: timedelta = timedelta(days=3)  # /healthz degrades this close to nextUpdate
    ocsp_validity: timedelta = timedelta(days=1)
    ocsp_refresh_margin: timedelta = timedelta(hours=12)  # re-sign this long before nextUpdate
    ocsp_stale_margin: timedelta = timedelta(hours=4)
    ocsp_max_age: timedelta = timedelta(hours=1)  # HTTP max-age of an OCSP answer
    crl_max_age: timedelta = timedelta(minutes=15)  # HTTP max-age of a CRL
    # How long a web process may answer from its memory before re-reading the stored response;
    # another process's revocation reaches it after at most this (this process's at once).
    ocsp_cache_ttl: timedelta = timedelta(seconds=2)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PublishingConfig:
        return cls(
            crl_validity=_duration(env, "JITSUIN_CRL_VALIDITY", "7d"),
            crl_refresh=_duration(env, "JITSUIN_CRL_REFRESH", "1d"),
            crl_debounce=_duration(env, "JITSUIN_CRL_DEBOUNCE", "10s"),
            crl_stale_margin=_duration(env, "JITSUIN_CRL_STALE_MARGIN", "3d"),
            ocsp_validity=_duration(env, "JITSUIN_OCSP_VALIDITY", "1d"),
            ocsp_refresh_margin=_duration(env, "JITSUIN_OCSP_REFRESH_MARGIN", "12h"),
            ocsp_stale_margin=_duration(env, "JITSUIN_OCSP_STALE_MARGIN", "4h"),
            ocsp_max_age=_duration(env, "JITSUIN_OCSP_MAX_AGE", "1h"),
            crl_max_age=_duration(env, "JITSUIN_CRL_MAX_AGE", "15m"),
            ocsp_cache_ttl=_duration(env, "JITSUIN_OCSP_CACHE_TTL", "2s"),
        )


@dataclass(frozen=True)
class ConnectorConfig:
    """The builtin CA connector (``JITSUIN_BUILTIN_DELAY`` is ``JitsuinConfig.builtin_delay``)."""

    key_pool: int = 2  # user keys generated ahead of requests; 0: none

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConnectorConfig:
        return cls(key_pool=_int(env, "JITSUIN_KEY_POOL", 2, minimum=0))


HELPDESK_LANGUAGES = ("ja", "en", "ja+en")


@dataclass(frozen=True)
class NotifyConfig:
    stuck_business_days: int = 3  # a request untouched this long is listed as stuck
    helpdesk_language: str = "ja+en"  # the language(s) of staff alerts

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifyConfig:
        return cls(
            stuck_business_days=_int(env, "JITSUIN_STUCK_BUSINESS_DAYS", 3),
            helpdesk_language=_choice(
                env, "JITSUIN_HELPDESK_LANGUAGE", "ja+en", HELPDESK_LANGUAGES
            ),
        )


@dataclass(frozen=True)
class PortalConfig:
    # The Wi-Fi networks (SSIDs) that use client certificates; the pages name them.
    wifi_networks: tuple[str, ...] = ("eduroam",)
    # The name in the Wi-Fi (RADIUS) server's certificate, which devices must check.
    radius_server_name: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PortalConfig:
        raw = env.get("JITSUIN_WIFI_NETWORKS") or ""  # commas only: an SSID may contain spaces
        names = tuple(name.strip() for name in raw.split(",") if name.strip())
        return cls(
            wifi_networks=names or ("eduroam",),
            radius_server_name=(env.get("JITSUIN_RADIUS_SERVER_NAME") or "").strip(),
        )


@dataclass(frozen=True)
class RadiusServer:
    host: str
    port: int
    secret: str = field(repr=False)  # never shown


@dataclass(frozen=True)
class CampaignsConfig:
    """The RADIUS server a campaign's pre-flight logs in to (docs/campaigns.md)."""

    preflight_radius: RadiusServer | None = None
    preflight_radius_ca: str = ""  # the RADIUS server's CA (PEM file) to verify it with

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CampaignsConfig:
        text = env.get("JITSUIN_PREFLIGHT_RADIUS") or ""
        radius = None
        if text:
            parts = text.split(":", 2)  # the secret may itself contain colons
            if len(parts) != 3 or not parts[0] or not parts[2]:
                raise ConfigError("JITSUIN_PREFLIGHT_RADIUS: must be host:port:secret")
            try:
                port = int(parts[1])
            except ValueError as exc:
                raise ConfigError("JITSUIN_PREFLIGHT_RADIUS: the port is not a number") from exc
            radius = RadiusServer(host=parts[0], port=port, secret=parts[2])
        return cls(
            preflight_radius=radius,
            preflight_radius_ca=env.get("JITSUIN_PREFLIGHT_RADIUS_CA") or "",
        )


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
        file = _readable(env, "JITSUIN_SAML_METADATA_FILE")
        cert = _readable(env, "JITSUIN_SAML_METADATA_CERT")
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
        key = _readable(env, "JITSUIN_SAML_KEY_FILE")
        cert_file = _readable(env, "JITSUIN_SAML_CERT_FILE")
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


@dataclass(frozen=True)
class JitsuinConfig:
    data_dir: Path
    database_url: str
    public_url: str
    debug: bool
    secret_key: str
    allowed_hosts: tuple[str, ...]
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    kek_hex: str | None
    # How long a worker holds a request; a dead worker's requests are taken over after it.
    lease: timedelta
    builtin_delay: timedelta
    email_backend: str
    email_from: str
    helpdesk_email: str
    smtp_host: str
    smtp_port: int
    demo: bool
    # Uploaded PKCS#12 files asking for more KDF/MAC iterations than this are refused unopened.
    pkcs12_max_iterations: int = 1_000_000
    # Bytes of OCSP answers a web process keeps in memory (keyed by CertID).
    ocsp_cache_bytes: int = 32 * 1024 * 1024
    # Sign-in throttling (docs/console.md, "Locked-out accounts"); TOTP enrolment codes.
    login_failure_limit: int = 5
    login_cooloff: timedelta = timedelta(minutes=5)
    login_cooloff_max: timedelta = timedelta(hours=24)
    login_lockout_by: tuple[str, ...] = ("account",)
    # Failed sign-ins from one address (any accounts) per hour before it is held; 0: no limit.
    login_address_limit: int = 100
    totp_enrolment_code_ttl: timedelta = timedelta(hours=72)
    # The audit log (docs/audit.md).
    audit_key_hex: str | None = None
    audit_checkpoint_dir: Path | None = None
    audit_checkpoint_every: timedelta = timedelta(hours=1)
    audit_checkpoint_events: int = 1000
    audit_email: str = ""
    # Connector classes by name (JITSUIN_CONNECTORS), beside or instead of "builtin".
    connectors: Mapping[str, str] = field(default_factory=dict)
    # Seconds a process keeps a database connection between requests; 0: one per request.
    db_conn_max_age: int = 60
    # The O= of every certificate jitsuin signs: CA certificates and every user certificate.
    organization: str = "jitsuin"
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    publishing: PublishingConfig = field(default_factory=PublishingConfig)
    connector: ConnectorConfig = field(default_factory=ConnectorConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    campaigns: CampaignsConfig = field(default_factory=CampaignsConfig)
    sso: SsoConfig = field(default_factory=SsoConfig)

    @property
    def key_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def kek_path(self) -> Path:
        return self.data_dir / "kek.hex"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def audit_checkpoint_path(self) -> Path:
        """The append-only log of signed checkpoints of the audit chain's head."""
        return (self.audit_checkpoint_dir or self.data_dir) / "audit-checkpoints.log"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JitsuinConfig:
        data_dir = Path(env.get("JITSUIN_DATA_DIR") or "./.jitsuin").resolve()
        public_url = (env.get("JITSUIN_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", public_url):
            raise ConfigError(f"JITSUIN_PUBLIC_URL: {public_url!r} is not an http(s) URL")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'jitsuin.sqlite3'}"
        if not database_url.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
            raise ConfigError("DATABASE_URL: only sqlite:/// and postgres:// URLs are supported")
        kek_hex = (env.get("JITSUIN_KEK") or "").strip() or None
        if kek_hex is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", kek_hex):
            raise ConfigError(
                "JITSUIN_KEK: must be the 32-byte key-encryption key in hex (64 hex digits)"
            )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            debug=_bool(env, "JITSUIN_DEBUG", False),
            secret_key=env.get("JITSUIN_SECRET_KEY") or "",
            allowed_hosts=_allowed_hosts(env, public_url),
            allowed_networks=_networks(env, "JITSUIN_ALLOWED_NETWORKS", DEFAULT_ALLOWED_NETWORKS),
            trusted_proxies=_networks(env, "JITSUIN_TRUSTED_PROXIES", ()),
            kek_hex=kek_hex,
            lease=_positive_duration(env, "JITSUIN_LEASE", "2m"),
            builtin_delay=parse_duration(
                env.get("JITSUIN_BUILTIN_DELAY") or "0", name="JITSUIN_BUILTIN_DELAY"
            ),
            email_backend=_choice(env, "JITSUIN_EMAIL", "file", ("file", "smtp", "console")),
            email_from=env.get("JITSUIN_EMAIL_FROM") or "jitsuin <noreply@localhost>",
            helpdesk_email=env.get("JITSUIN_HELPDESK_EMAIL") or "helpdesk@localhost",
            smtp_host=env.get("JITSUIN_SMTP_HOST") or "127.0.0.1",
            smtp_port=_int(env, "JITSUIN_SMTP_PORT", 25, minimum=0),
            demo=_bool(env, "JITSUIN_DEMO", False),  # opt-in: `make run` sets it
            pkcs12_max_iterations=_int(env, "JITSUIN_PKCS12_MAX_ITERATIONS", 1_000_000),
            ocsp_cache_bytes=_int(env, "JITSUIN_OCSP_CACHE_BYTES", 32 * 1024 * 1024, minimum=0),
            **_sign_in_settings(env),
            **_audit_settings(env),
            connectors=_connectors(env),
            db_conn_max_age=_int(env, "JITSUIN_DB_CONN_MAX_AGE", 60, minimum=0),
            organization=env.get("JITSUIN_ORGANIZATION") or "jitsuin",
            pipeline=PipelineConfig.from_env(env),
            publishing=PublishingConfig.from_env(env),
            connector=ConnectorConfig.from_env(env),
            notify=NotifyConfig.from_env(env),
            portal=PortalConfig.from_env(env),
            campaigns=CampaignsConfig.from_env(env),
            sso=SsoConfig.from_env(env),
        )

    def ensure_data_dir(self) -> None:
        """The data dir, private to this user: made 0700, or made so (with everything in it
        that an older version left readable), or a ConfigError when another user owns it."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = self.data_dir.stat()
        if info.st_mode & 0o077 and info.st_uid != os.geteuid():
            raise ConfigError(
                f"JITSUIN_DATA_DIR: {self.data_dir} is open to group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}) and owned by uid {info.st_uid}, "
                f"not this user: run `chmod 700 {self.data_dir}` as its owner, or chown it to "
                "the user that runs jitsuin"
            )
        if self.data_dir not in _made_private:  # once per process: outbox/ can be large
            _make_private(self.data_dir)
            _made_private.add(self.data_dir)

    def load_or_create_secret_key(self) -> str:
        """The Django secret key: from the environment, else a file made on first run (0600)."""
        if self.secret_key:
            return self.secret_key
        self.ensure_data_dir()
        path = self.data_dir / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
        return path.read_text().strip()


_made_private: set[Path] = set()


def _make_private(top: Path) -> None:
    """Take group and other bits off ``top`` and everything under it that this user owns.

    The database, its -wal/-shm and the e-mails in outbox/ were once created 0644; the umask
    of 077 (cli.main, wsgi) keeps new files private, this mends those already there.
    """
    me = os.geteuid()
    for root, _dirs, files in os.walk(top):  # symlinked directories are not followed
        for path in [root, *(os.path.join(root, name) for name in files)]:
            try:
                info = os.lstat(path)
            except FileNotFoundError:  # e.g. a -shm file another process just removed
                continue
            if info.st_uid == me and not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o077:
                os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


@cache
def current() -> JitsuinConfig:
    """The configuration of this process, read from the environment once."""
    return JitsuinConfig.from_env(os.environ)
