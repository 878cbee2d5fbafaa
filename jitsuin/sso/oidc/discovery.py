"""The OpenID Provider's endpoints, discovered from its issuer URL (OpenID Connect Discovery 1.0).

The document is fetched at the first need, not at start-up; it is kept in memory and as a
last good copy under ``<JITSUIN_DATA_DIR>/oidc/``, refreshed after ``REFRESH_AFTER``, and the
last good copy is used while the provider cannot be reached. An explicit
``JITSUIN_OIDC_*_ENDPOINT`` variable wins over the discovered endpoint (and needs no fetch).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from jitsuin.sso.oidc.fetch import OpUnavailable, get_json

LOGGER = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/openid-configuration"
REFRESH_AFTER = 24 * 3600.0
# After a failed refresh the last good copy serves this long before the provider is asked again.
RETRY_AFTER = 60.0
CACHE_FILE = "openid-configuration.json"
ENDPOINT_FIELDS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)


def discovery_url(issuer: str) -> str:
    """Where ``issuer`` publishes its configuration (Discovery 4: trailing "/" dropped first)."""
    return issuer.rstrip("/") + WELL_KNOWN


@dataclass(frozen=True)
class ProviderMetadata:
    """One discovery document the configured issuer vouched for, and when it was fetched."""

    issuer: str
    document: Mapping[str, Any]
    fetched_at: float


def check_document(document: Mapping[str, Any], issuer: str) -> None:
    """``OpUnavailable`` unless ``document`` is the configuration of exactly ``issuer``."""
    if document.get("issuer") != issuer:
        raise OpUnavailable(
            f"discovery document names issuer {document.get('issuer')!r}, not the configured "
            f"JITSUIN_OIDC_ISSUER {issuer!r}"
        )
    for name in ENDPOINT_FIELDS:
        value = document.get(name)
        if value is not None and not (
            isinstance(value, str) and value.startswith(("https://", "http://"))
        ):
            raise OpUnavailable(f"discovery document: {name} {value!r} is not a URL")


@dataclass
class Discovery:
    """The discovery document of one issuer, fetched lazily and cached in memory and on disk."""

    issuer: str
    cache_dir: Path
    overrides: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    _current: ProviderMetadata | None = None
    _failed_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, name: str) -> str | None:
        """The endpoint ``name`` (a discovery field such as ``token_endpoint``): the override if
        one is configured, else the provider's; None when the provider has none."""
        if name in self.overrides:
            return self.overrides[name]
        value = self.metadata().document.get(name)
        return value if isinstance(value, str) else None

    def require(self, name: str) -> str:
        """Like ``endpoint``, but ``OpUnavailable`` when the provider publishes no such endpoint."""
        value = self.endpoint(name)
        if not value:
            raise OpUnavailable(f"{self.issuer} publishes no {name}")
        return value

    def metadata(self) -> ProviderMetadata:
        """The current document: from memory, the disk copy, or the provider; the last good copy
        (of any age) when the provider fails; ``OpUnavailable`` when there is none."""
        with self._lock:
            now = self.clock()
            current = self._current or self._read_copy()
            self._current = current
            if current and now - current.fetched_at < REFRESH_AFTER:
                return current
            if current and self._failed_at is not None and now - self._failed_at < RETRY_AFTER:
                return current
            try:
                fresh = self._fetch(now)
            except OpUnavailable as exc:
                self._failed_at = now
                if current is None:
                    raise
                LOGGER.warning(
                    "OIDC discovery failed, using the copy of %s: %s", _ago(now, current), exc
                )
                return current
            self._failed_at = None
            self._current = fresh
            self._write_copy(fresh)
            return fresh

    def forget(self) -> None:
        """Drop the copy in memory (the disk copy stays)."""
        with self._lock:
            self._current = None
            self._failed_at = None

    def _fetch(self, now: float) -> ProviderMetadata:
        document = get_json(discovery_url(self.issuer))
        check_document(document, self.issuer)
        return ProviderMetadata(issuer=self.issuer, document=document, fetched_at=now)

    @property
    def _path(self) -> Path:
        return self.cache_dir / CACHE_FILE

    def _read_copy(self) -> ProviderMetadata | None:
        try:
            saved = json.loads(self._path.read_text())
            check_document(saved["document"], self.issuer)
            return ProviderMetadata(self.issuer, saved["document"], float(saved["fetched_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, OpUnavailable) as exc:
            # A copy for another issuer (the variable changed) or a damaged file: not used.
            LOGGER.warning("OIDC discovery copy %s not used: %s", self._path, exc)
            return None

    def _write_copy(self, metadata: ProviderMetadata) -> None:
        saved = {"fetched_at": metadata.fetched_at, "document": dict(metadata.document)}
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self._path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(saved, indent=1, sort_keys=True))
            os.replace(temporary, self._path)
        except OSError as exc:  # the copy in memory still serves this process
            LOGGER.warning("OIDC discovery copy not saved to %s: %s", self._path, exc)


def _ago(now: float, metadata: ProviderMetadata) -> str:
    return f"{int((now - metadata.fetched_at) // 60)} min ago"


_providers: dict[tuple[str, str, tuple[tuple[str, str], ...]], Discovery] = {}
_providers_lock = threading.Lock()


def provider() -> Discovery:
    """The ``Discovery`` of the configured issuer (one per process and configuration)."""
    issuer: str = settings.JITSUIN_OIDC_ISSUER
    overrides: Mapping[str, str] = getattr(settings, "JITSUIN_OIDC_ENDPOINTS", {})
    cache_dir = str(settings.JITSUIN_OIDC_CACHE_DIR)
    key = (issuer, cache_dir, tuple(sorted(overrides.items())))
    with _providers_lock:
        if key not in _providers:
            _providers[key] = Discovery(issuer, Path(cache_dir), dict(overrides))
        return _providers[key]


def forget_all() -> None:
    """Drop every discovery document kept in memory (tests; after a configuration change)."""
    with _providers_lock:
        _providers.clear()
