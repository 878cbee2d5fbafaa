"""Validated settings read from the environment, once.

Code never reads ``os.environ`` itself: it asks ``jitsuin.config.current()``. Every
``JITSUIN_*`` variable is a typed field of ``JitsuinConfig`` or of one of its parts
(``pipeline``, ``publishing``, ``connector``, ``notify``, ``portal``, ``wifi``, ``campaigns``,
``sso``, ``hsm``),
parsed in ``from_env``: a value jitsuin cannot use raises ``ConfigError`` naming the variable,
before anything starts. docs/configuration.md lists them all.

``values`` parses single values, ``parts``, ``wifi``, ``hsm`` and ``sso`` hold the parts;
import them from here.
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

from jitsuin.config.hsm import HsmConfig
from jitsuin.config.parts import (
    HELPDESK_LANGUAGES,
    CampaignsConfig,
    ConnectorConfig,
    NotifyConfig,
    PipelineConfig,
    PortalConfig,
    PublishingConfig,
    RadiusServer,
)
from jitsuin.config.remote import RemoteSignerConfig
from jitsuin.config.sso import OidcConfig, SamlConfig, SsoConfig
from jitsuin.config.upki import UpkiConfig
from jitsuin.config.values import ConfigError, parse_duration
from jitsuin.config.values import boolean as _bool
from jitsuin.config.values import choice as _choice
from jitsuin.config.values import items as _items
from jitsuin.config.values import networks as _networks
from jitsuin.config.values import positive_duration as _positive_duration
from jitsuin.config.values import readable_file as _readable_file
from jitsuin.config.values import whole_number as _int
from jitsuin.config.wifi import WifiConfig
from jitsuin.pki.keyarchive import KeyArchiveError, load_recovery_public_key

__all__ = [
    "HELPDESK_LANGUAGES",
    "CampaignsConfig",
    "ConfigError",
    "ConnectorConfig",
    "JitsuinConfig",
    "NotifyConfig",
    "OidcConfig",
    "PipelineConfig",
    "PortalConfig",
    "PublishingConfig",
    "RadiusServer",
    "SamlConfig",
    "SsoConfig",
    "WifiConfig",
    "HsmConfig",
    "RemoteSignerConfig",
    "current",
    "parse_duration",
]

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


UPKI_CONNECTOR = "jitsuin.upki.connector:UpkiConnector"


def _connectors(env: Mapping[str, str]) -> dict[str, str]:
    """JITSUIN_CONNECTORS: ``name=package.module:Class`` items, each adding a connector or
    replacing one (``builtin`` included) with a class that has ``from_config(config)``."""
    found: dict[str, str] = {}
    for item in _items(env.get("JITSUIN_CONNECTORS") or ""):
        if not _CONNECTOR_CLASS.match(item):
            raise ConfigError(f"JITSUIN_CONNECTORS: {item!r} is not name=package.module:Class")
        name, path = item.split("=", 1)
        found[name] = path
    if env.get("JITSUIN_UPKI_URL") and "builtin" not in found:
        # The national service signs this institution's certificates (docs/upstream.md).
        found["builtin"] = UPKI_CONNECTOR
    return found


LOCKOUT_KEYS = ("account", "address", "account+address")


def _key_recovery_key(env: Mapping[str, str]) -> bytes | None:
    """JITSUIN_KEY_RECOVERY_KEY: the PEM public half of the institution's key-recovery key
    (docs/key-recovery.md); unset, S/MIME keys are not archived."""
    path = _readable_file(env, "JITSUIN_KEY_RECOVERY_KEY")
    if path is None:
        return None
    pem = path.read_bytes()
    try:
        load_recovery_public_key(pem)
    except KeyArchiveError as exc:
        raise ConfigError(f"JITSUIN_KEY_RECOVERY_KEY: {path}: {exc}") from exc
    return pem


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
    # The recovery PUBLIC key S/MIME keys are archived to (PEM); None: no archiving.
    key_recovery_key_pem: bytes | None = None
    # Connector classes by name (JITSUIN_CONNECTORS), beside or instead of "builtin".
    connectors: Mapping[str, str] = field(default_factory=dict)
    # Seconds a process keeps a database connection between requests; 0: one per request.
    db_conn_max_age: int = 60
    # The O= of every certificate jitsuin signs: CA certificates and every user certificate.
    organization: str = "jitsuin"
    # Requests a minute one API token may make (docs/api.md); beyond it, 429.
    api_rate: int = 600
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    publishing: PublishingConfig = field(default_factory=PublishingConfig)
    connector: ConnectorConfig = field(default_factory=ConnectorConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    wifi: WifiConfig = field(default_factory=WifiConfig)
    hsm: HsmConfig = field(default_factory=HsmConfig)
    signer: RemoteSignerConfig = field(default_factory=RemoteSignerConfig)
    upki: UpkiConfig = field(default_factory=UpkiConfig)
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
            key_recovery_key_pem=_key_recovery_key(env),
            db_conn_max_age=_int(env, "JITSUIN_DB_CONN_MAX_AGE", 60, minimum=0),
            organization=env.get("JITSUIN_ORGANIZATION") or "jitsuin",
            api_rate=_int(env, "JITSUIN_API_RATE", 600),
            pipeline=PipelineConfig.from_env(env),
            publishing=PublishingConfig.from_env(env),
            connector=ConnectorConfig.from_env(env),
            notify=NotifyConfig.from_env(env),
            portal=PortalConfig.from_env(env),
            wifi=WifiConfig.from_env(env),
            hsm=HsmConfig.from_env(env),
            signer=RemoteSignerConfig.from_env(env),
            upki=UpkiConfig.from_env(env),
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
