"""The IdPs' SAML metadata: fetched seldom, signature-checked, kept when the source fails.

A federation aggregate (GakuNin's is tens of MB) is downloaded once per refresh interval, not once
per request: the interval follows the document's ``cacheDuration``/``validUntil`` within
``MIN_REFRESH``..``MAX_REFRESH``. Every copy is checked (``metadata_document.check_metadata``:
signature and ``validUntil``) before it replaces the last good one. When the source is down or
sends a bad copy, the last good copy stays in use and the next try waits a growing backoff.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from jitsuin.sso.saml.metadata_document import (
    MetadataRefused,
    check_metadata,
    next_refresh,
    parse_time,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
TIMEOUT = (10.0, 60.0)  # connect, read (seconds)


class MetadataUnavailable(Exception):
    """No usable metadata at all: the source failed and there is no good copy to fall back on."""


@dataclass(frozen=True)
class MetadataSource:
    """Where the IdP metadata comes from and how it is checked (JITSUIN_SAML_* settings)."""

    store: Path  # <JITSUIN_DATA_DIR>/saml
    url: str = ""
    file: Path | None = None
    cert: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    xmlsec1: str = "/usr/bin/xmlsec1"


@dataclass(frozen=True)
class RefreshResult:
    """The outcome of one refresh, for the CLI and the log."""

    ok: bool
    changed: bool
    path: Path | None
    message: str
    next_refresh: datetime
    idps: int = 0


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
        try:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class _Answer:
    not_modified: bool
    body: bytes = b""
    etag: str = ""


def _download(url: str, max_bytes: int, etag: str) -> _Answer:
    """The body, refused above ``max_bytes`` before any parsing (or "not modified")."""
    headers = {"If-None-Match": etag} if etag else {}
    with requests.get(url, timeout=TIMEOUT, stream=True, headers=headers) as response:
        if response.status_code == 304:
            return _Answer(not_modified=True)
        response.raise_for_status()
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > max_bytes:
            raise _TooLarge(f"{declared} bytes announced, the limit is {max_bytes}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise _TooLarge(f"more than {max_bytes} bytes")
            chunks.append(chunk)
        return _Answer(False, b"".join(chunks), response.headers.get("ETag", ""))


class MetadataCache:
    """The last good copy of one remote source, refreshed when due (shared by threads and, through
    its state file and lock file, by worker processes)."""

    def __init__(self, source: MetadataSource) -> None:
        self.source = source
        self.path = source.store / "metadata.xml"
        self.state_path = source.store / "metadata.json"
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            state = {}
        if state.get("url") != self.source.url or not self.path.exists():
            state = {"url": self.source.url}
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        _write_atomically(self.state_path, json.dumps(state, sort_keys=True).encode())
        self._state = state

    def _due(self, state: dict[str, Any], now: datetime) -> bool:
        when = state.get("retry_at") or state.get("next_refresh")
        return not self.path.exists() or when is None or datetime.fromisoformat(when) <= now

    def current_path(self, now: datetime | None = None) -> Path:
        """The path of the good copy, refreshed first only when due. Raises ``MetadataUnavailable``
        when there is none (never fetched successfully, or the last good copy has expired)."""
        now = now or datetime.now(UTC)
        state = self._state
        if state is None or self._due(state, now):
            self.refresh(force=False, now=now)
            state = self._state or {}
        valid_until = parse_time(state.get("valid_until"))
        if not self.path.exists():
            raise MetadataUnavailable(state.get("error") or "no SAML metadata has been fetched")
        if valid_until is not None and valid_until <= now:
            raise MetadataUnavailable(f"the last good SAML metadata expired at {valid_until}")
        return self.path

    def refresh(self, force: bool = False, now: datetime | None = None) -> RefreshResult:
        """Fetch and check the source if ``force`` or due; keep the last good copy on failure."""
        now = now or datetime.now(UTC)
        self.source.store.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock, open(self.source.store / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one download for all worker processes
            state = self._load_state()  # another process may have refreshed meanwhile
            if not force and not self._due(state, now):
                self._state = state
                return self._result(state, ok=True, changed=False, message="still fresh")
            try:
                return self._fetch(state, now)
            except (requests.RequestException, _TooLarge, MetadataRefused, OSError) as exc:
                return self._keep_last_good(state, now, exc)

    def _fetch(self, state: dict[str, Any], now: datetime) -> RefreshResult:
        etag = state.get("etag", "") if self.path.exists() else ""
        answer = _download(self.source.url, self.source.max_bytes, etag)
        if answer.not_modified:
            document = check_metadata(
                self.path.read_bytes(), cert=None, xmlsec1=self.source.xmlsec1, now=now
            )
            changed, message = False, "not modified"
        else:
            body = answer.body
            document = check_metadata(
                body, cert=self.source.cert, xmlsec1=self.source.xmlsec1, now=now
            )
            changed = hashlib.sha256(body).hexdigest() != state.get("sha256")
            if changed:
                _write_atomically(self.path, body)
            state = {
                "url": self.source.url,
                "sha256": hashlib.sha256(body).hexdigest(),
                "etag": answer.etag,
                "idps": len(document.idps),
            }
            message = "updated" if changed else "unchanged"
        state.update(
            fetched_at=now.isoformat(),
            next_refresh=next_refresh(document, now).isoformat(),
            valid_until=document.valid_until.isoformat() if document.valid_until else None,
            failures=0,
            retry_at=None,
            error=None,
        )
        self._save_state(state)
        logger.info("SAML metadata from %s: %s", self.source.url, message)
        return self._result(state, ok=True, changed=changed, message=message)

    def _keep_last_good(
        self, state: dict[str, Any], now: datetime, exc: Exception
    ) -> RefreshResult:
        failures = int(state.get("failures") or 0) + 1
        backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (failures - 1))
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        keeping = f"keeping the copy of {state['fetched_at']}" if self.path.exists() else "no copy"
        state.update(failures=failures, retry_at=(now + backoff).isoformat(), error=reason)
        self._save_state(state)
        # One line, no traceback: an unreachable federation server is an operations event.
        logger.warning(
            "SAML metadata from %s not taken (%s); %s; next try in %s",
            self.source.url,
            reason,
            keeping,
            backoff,
        )
        return self._result(state, ok=False, changed=False, message=f"{reason}; {keeping}")

    def _result(
        self, state: dict[str, Any], *, ok: bool, changed: bool, message: str
    ) -> RefreshResult:
        when = state.get("retry_at") or state.get("next_refresh")
        return RefreshResult(
            ok=ok,
            changed=changed,
            path=self.path if self.path.exists() else None,
            message=message,
            next_refresh=datetime.fromisoformat(when) if when else datetime.now(UTC),
            idps=int(state.get("idps") or 0),
        )


class LocalMetadata:
    """A metadata file the operator maintains: used as is, checked again whenever it changes."""

    def __init__(self, source: MetadataSource) -> None:
        assert source.file is not None
        self.source = source
        self.path = source.file
        self._checked: tuple[int, int] | None = None
        self._valid_until: datetime | None = None

    def current_path(self, now: datetime | None = None) -> Path:
        now = now or datetime.now(UTC)
        try:
            stamp = self.path.stat()
        except OSError as exc:
            raise MetadataUnavailable(f"JITSUIN_SAML_METADATA_FILE: {exc}") from exc
        key = (stamp.st_mtime_ns, stamp.st_size)
        if key != self._checked:
            self.refresh(now=now)
        if self._valid_until is not None and self._valid_until <= now:
            raise MetadataUnavailable(f"{self.path} expired at {self._valid_until} (validUntil)")
        return self.path

    def refresh(self, force: bool = True, now: datetime | None = None) -> RefreshResult:
        now = now or datetime.now(UTC)
        stamp = self.path.stat()
        try:
            document = check_metadata(
                self.path.read_bytes(), cert=self.source.cert, xmlsec1=self.source.xmlsec1, now=now
            )
        except MetadataRefused as exc:
            self._checked = None
            raise MetadataUnavailable(f"{self.path}: {exc}") from exc
        self._checked = (stamp.st_mtime_ns, stamp.st_size)
        self._valid_until = document.valid_until
        return RefreshResult(
            True, False, self.path, "local file", next_refresh(document, now), len(document.idps)
        )


_caches: dict[MetadataSource, MetadataCache | LocalMetadata] = {}
_caches_lock = threading.Lock()


def cache_for(source: MetadataSource) -> MetadataCache | LocalMetadata:
    """The one cache object of this process for ``source``."""
    with _caches_lock:
        if source not in _caches:
            _caches[source] = MetadataCache(source) if source.url else LocalMetadata(source)
        return _caches[source]


def configured_source() -> MetadataSource:
    """The source ``saml_settings`` put into the Django settings."""
    source = getattr(settings, "JITSUIN_SAML_METADATA_SOURCE", None)
    if not isinstance(source, MetadataSource):
        raise MetadataUnavailable("SAML is not configured (no JITSUIN_SAML_METADATA_URL/FILE)")
    return source


def current_metadata_path(now: datetime | None = None) -> Path:
    """The checked metadata file to load, downloading only when the cached copy is due.

    Cheap on every request (a few ``stat`` calls); raises ``MetadataUnavailable`` when there is
    no usable copy."""
    return cache_for(configured_source()).current_path(now)


def refresh(force: bool = True) -> RefreshResult:
    """Refresh the configured metadata now (``jitsuin sso refresh-metadata``).

    Never raises for a failing source: the result says what happened and whether the last good
    copy is still in use."""
    try:
        return cache_for(configured_source()).refresh(force=force)
    except MetadataUnavailable as exc:
        return RefreshResult(False, False, None, str(exc), datetime.now(UTC) + FIRST_BACKOFF)
