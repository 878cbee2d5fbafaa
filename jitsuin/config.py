"""Validated settings read from the environment, once.

Code never reads ``os.environ`` itself: it asks ``jitsuin.config.current()``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

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


def _networks(
    env: Mapping[str, str], name: str, default: tuple[str, ...]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = env.get(name)
    items = default if raw is None else tuple(p for p in re.split(r"[,\s]+", raw) if p)
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _positive_duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    value = parse_duration(env.get(name) or default, name=name)
    if value <= timedelta(0):
        raise ConfigError(f"{name}: must be longer than 0")
    return value


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
    extra: Mapping[str, str] = field(default_factory=dict)

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
        hosts = tuple(h for h in re.split(r"[,\s]+", env.get("JITSUIN_ALLOWED_HOSTS") or "*") if h)
        try:
            smtp_port = int(env.get("JITSUIN_SMTP_PORT") or "25")
        except ValueError as exc:
            raise ConfigError("JITSUIN_SMTP_PORT: not a number") from exc
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            debug=_bool(env, "JITSUIN_DEBUG", False),
            secret_key=env.get("JITSUIN_SECRET_KEY") or "",
            allowed_hosts=hosts,
            allowed_networks=_networks(env, "JITSUIN_ALLOWED_NETWORKS", DEFAULT_ALLOWED_NETWORKS),
            trusted_proxies=_networks(env, "JITSUIN_TRUSTED_PROXIES", ()),
            kek_hex=kek_hex,
            lease=_positive_duration(env, "JITSUIN_LEASE", "2m"),
            builtin_delay=parse_duration(
                env.get("JITSUIN_BUILTIN_DELAY") or "0", name="JITSUIN_BUILTIN_DELAY"
            ),
            email_backend=env.get("JITSUIN_EMAIL") or "file",
            email_from=env.get("JITSUIN_EMAIL_FROM") or "jitsuin <noreply@localhost>",
            helpdesk_email=env.get("JITSUIN_HELPDESK_EMAIL") or "helpdesk@localhost",
            smtp_host=env.get("JITSUIN_SMTP_HOST") or "127.0.0.1",
            smtp_port=smtp_port,
            demo=_bool(env, "JITSUIN_DEMO", True),
            extra={k: v for k, v in env.items() if k.startswith("JITSUIN_")},
        )

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

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


@cache
def current() -> JitsuinConfig:
    """The configuration of this process, read from the environment once."""
    return JitsuinConfig.from_env(os.environ)
