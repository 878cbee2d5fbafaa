"""The parts of ``JitsuinConfig`` grouped by concern: the pipeline, revocation publishing, the
builtin connector, notifications, the portal and campaigns (single sign-on: ``sso.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from jitsuin.config.values import ConfigError, boolean, choice, duration, whole_number
from jitsuin.config.wifi import server_names


@dataclass(frozen=True)
class PipelineConfig:
    """The request pipeline and the worker's periodic jobs (docs/pipeline.md)."""

    retry_base: timedelta = timedelta(seconds=30)  # the first backoff; it doubles per attempt
    retry_max: timedelta = timedelta(hours=1)  # the longest backoff
    max_attempts: int = 5  # a request fails after this many temporary failures
    scheduler_interval: timedelta = timedelta(seconds=5)  # how often a worker ticks periodic jobs
    sweep_interval: timedelta = timedelta(seconds=30)
    housekeeping_interval: timedelta = timedelta(minutes=5)
    # Days between a person's deactivation and the revocation of their certificates
    # (JITSUIN_LEAVER_GRACE_DAYS; 0: at once). Reactivating within them cancels it.
    leaver_grace_days: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PipelineConfig:
        return cls(
            retry_base=duration(env, "JITSUIN_RETRY_BASE", "30s"),
            retry_max=duration(env, "JITSUIN_RETRY_MAX", "1h"),
            max_attempts=whole_number(env, "JITSUIN_MAX_ATTEMPTS", 5),
            scheduler_interval=duration(env, "JITSUIN_SCHEDULER_INTERVAL", "5s"),
            sweep_interval=duration(env, "JITSUIN_SWEEP_INTERVAL", "30s"),
            housekeeping_interval=duration(env, "JITSUIN_HOUSEKEEPING_INTERVAL", "5m"),
            leaver_grace_days=whole_number(env, "JITSUIN_LEAVER_GRACE_DAYS", 0, minimum=0),
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
    # How long a web process serves /ca/* and /crl/* (and /healthz's slower checks) from its
    # memory before one query asks whether anything was published meanwhile.
    public_cache_ttl: timedelta = timedelta(seconds=2)
    # A relying party's agent that has not reported, or not loaded a CRL published, this long
    # ago is behind: red in the console, one e-mail to the helpdesk.
    relying_party_grace: timedelta = timedelta(minutes=30)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PublishingConfig:
        return cls(
            crl_validity=duration(env, "JITSUIN_CRL_VALIDITY", "7d"),
            crl_refresh=duration(env, "JITSUIN_CRL_REFRESH", "1d"),
            crl_debounce=duration(env, "JITSUIN_CRL_DEBOUNCE", "10s"),
            crl_stale_margin=duration(env, "JITSUIN_CRL_STALE_MARGIN", "3d"),
            ocsp_validity=duration(env, "JITSUIN_OCSP_VALIDITY", "1d"),
            ocsp_refresh_margin=duration(env, "JITSUIN_OCSP_REFRESH_MARGIN", "12h"),
            ocsp_stale_margin=duration(env, "JITSUIN_OCSP_STALE_MARGIN", "4h"),
            ocsp_max_age=duration(env, "JITSUIN_OCSP_MAX_AGE", "1h"),
            crl_max_age=duration(env, "JITSUIN_CRL_MAX_AGE", "15m"),
            ocsp_cache_ttl=duration(env, "JITSUIN_OCSP_CACHE_TTL", "2s"),
            public_cache_ttl=duration(env, "JITSUIN_PUBLIC_CACHE_TTL", "2s"),
            relying_party_grace=duration(env, "JITSUIN_RELYING_PARTY_GRACE", "30m"),
        )


# The CA key types jitsuin makes: RSA below 3072 bits is not offered for a CA (it outlives
# its users' certificates by years).
CA_KEY_TYPES = ("p384", "p256", "rsa3072", "rsa4096")

# A worker makes its whole pool when it starts and keeps it in memory: 10,000 RSA-2048 keys
# are ~10 minutes of one core and ~17 MB. A larger figure is a typo, refused at start.
MAX_KEY_POOL = 10_000


@dataclass(frozen=True)
class ConnectorConfig:
    """The builtin CA connector (``JITSUIN_BUILTIN_DELAY`` is ``JitsuinConfig.builtin_delay``)."""

    # User keys each worker generates ahead of requests, per key type; 0: none. Sized for a
    # peak by connectors.keypool.recommended_size (docs/configuration.md).
    key_pool: int = 2
    # The key type of the CAs `jitsuin ca init` and `ca create-intermediate` make
    # (JITSUIN_CA_KEY_TYPE; `--key-type` overrides it): its signatures use SHA-384 for P-384,
    # SHA-256 for P-256 and RSA. Existing CAs keep theirs.
    ca_key_type: str = "p384"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConnectorConfig:
        return cls(
            key_pool=whole_number(env, "JITSUIN_KEY_POOL", 2, minimum=0, maximum=MAX_KEY_POOL),
            ca_key_type=choice(env, "JITSUIN_CA_KEY_TYPE", "p384", CA_KEY_TYPES),
        )


HELPDESK_LANGUAGES = ("ja", "en", "ja+en")


@dataclass(frozen=True)
class NotifyConfig:
    stuck_business_days: int = 3  # a request untouched this long is listed as stuck
    helpdesk_language: str = "ja+en"  # the language(s) of staff alerts
    # The institution that sends the e-mails: "[name] " starts every subject, and it signs
    # the users' e-mails (JITSUIN_INSTITUTION_NAME, else JITSUIN_ORGANIZATION).
    institution: str = "jitsuin"

    @property
    def subject_prefix(self) -> str:
        return f"[{self.institution}] "

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifyConfig:
        return cls(
            stuck_business_days=whole_number(env, "JITSUIN_STUCK_BUSINESS_DAYS", 3),
            helpdesk_language=choice(env, "JITSUIN_HELPDESK_LANGUAGE", "ja+en", HELPDESK_LANGUAGES),
            institution=institution_name(env),
        )


def institution_name(env: Mapping[str, str]) -> str:
    """``JITSUIN_INSTITUTION_NAME``: one line of at most 60 characters, no brackets. Unset,
    ``JITSUIN_ORGANIZATION`` (free text) is taken, cut to fit; else ``jitsuin``."""
    raw = env.get("JITSUIN_INSTITUTION_NAME")
    if raw is None or not raw.strip():
        fallback = env.get("JITSUIN_ORGANIZATION") or ""
        cleaned = "".join(c for c in fallback if c.isprintable() and c not in "[]").strip()
        return cleaned[:60] or "jitsuin"
    name = raw.strip()
    if len(name) > 60:
        raise ConfigError(
            f"JITSUIN_INSTITUTION_NAME: {len(name)} characters; the mail subject allows 60"
        )
    if any(not c.isprintable() for c in name) or any(c in name for c in "[]"):
        raise ConfigError(
            "JITSUIN_INSTITUTION_NAME: must be one line without control characters or brackets"
        )
    return name


@dataclass(frozen=True)
class PortalConfig:
    # The Wi-Fi networks (SSIDs) that use client certificates; the pages name them.
    wifi_networks: tuple[str, ...] = ("eduroam",)
    # The name(s) in the Wi-Fi (RADIUS) server's certificate, which devices must check, as
    # the guides show them ("a, b"); WifiConfig.server_names has them one by one.
    radius_server_name: str = ""
    # The service's name in page titles and the header (JITSUIN_SITE_NAME, else the
    # institution's name, else "jitsuin").
    site_name: str = "jitsuin"
    # The signed-in home page served from a render kept per session while a fingerprint of
    # everything it shows is unchanged (jitsuin.portal.page_cache); JITSUIN_PAGE_CACHE=off.
    page_cache: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PortalConfig:
        raw = env.get("JITSUIN_WIFI_NETWORKS") or ""  # commas only: an SSID may contain spaces
        names = tuple(name.strip() for name in raw.split(",") if name.strip())
        return cls(
            wifi_networks=names or ("eduroam",),
            radius_server_name=", ".join(server_names(env)),
            site_name=site_name(env),
            page_cache=boolean(env, "JITSUIN_PAGE_CACHE", True),
        )


def site_name(env: Mapping[str, str]) -> str:
    """``JITSUIN_SITE_NAME``: one line of at most 60 characters. Unset, the institution's name
    (``JITSUIN_INSTITUTION_NAME``, else ``JITSUIN_ORGANIZATION``, else ``jitsuin``)."""
    raw = env.get("JITSUIN_SITE_NAME")
    if raw is None or not raw.strip():
        return institution_name(env)
    name = raw.strip()
    if len(name) > 60:
        raise ConfigError(f"JITSUIN_SITE_NAME: {len(name)} characters; at most 60 are shown")
    if any(not c.isprintable() for c in name):
        raise ConfigError("JITSUIN_SITE_NAME: must be one line without control characters")
    return name


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
