"""The provider's signing keys (its JWKS), chosen by key id and the one configured algorithm."""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt

from jitsuin.sso.oidc.fetch import get_json
from jitsuin.sso.oidc.tokens import TokenRefused

# A key set is kept this long; an unknown key id fetches it again (a key rollover at the
# provider), but not more often than REFETCH_AFTER.
KEEP_FOR = 3600.0
REFETCH_AFTER = 10.0

_key_sets: dict[str, tuple[float, list[dict[str, Any]]]] = {}
_lock = threading.Lock()


def _keys(jwks_uri: str, *, refresh: bool) -> list[dict[str, Any]]:
    with _lock:
        now = time.monotonic()
        cached = _key_sets.get(jwks_uri)
        if cached and now - cached[0] < (REFETCH_AFTER if refresh else KEEP_FOR):
            return cached[1]
        document = get_json(jwks_uri)  # OpUnavailable when the provider does not answer
        keys = [key for key in document.get("keys", []) if isinstance(key, dict)]
        _key_sets[jwks_uri] = (now, keys)
        return keys


def _candidates(
    keys: list[dict[str, Any]], kid: str | None, algorithm: str
) -> list[dict[str, Any]]:
    return [
        key
        for key in keys
        if key.get("use", "sig") == "sig"
        and key.get("alg", algorithm) == algorithm
        and (kid is None or key.get("kid") == kid)
    ]


def signing_key(token: str, *, jwks_uri: str, algorithm: str) -> jwt.PyJWK:
    """The provider key that signed ``token``: by ``kid`` (the only usable key when the token
    names none), usable with ``algorithm``; ``TokenRefused`` when there is no such key."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"token unreadable: {exc}") from exc
    found = _candidates(_keys(jwks_uri, refresh=False), kid, algorithm)
    if not found:
        found = _candidates(_keys(jwks_uri, refresh=True), kid, algorithm)
    if len(found) != 1:
        raise TokenRefused(f"no single {algorithm} key with kid {kid!r} at {jwks_uri}")
    try:
        return jwt.PyJWK(found[0], algorithm=algorithm)
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"provider key {kid!r} unusable with {algorithm}: {exc}") from exc


def forget_all() -> None:
    """Drop every key set kept in memory (tests)."""
    with _lock:
        _key_sets.clear()
