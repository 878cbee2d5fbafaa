"""Connectors by name, built from the configuration; tests may override their settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jitsuin.config import current
from jitsuin.connectors.base import Connector
from jitsuin.connectors.builtin import BuiltinConnector

_OVERRIDES: dict[str, dict[str, Any]] = {}


def connector_for(name: str) -> Connector:
    """The connector called ``name`` (``builtin`` for now)."""
    if name != "builtin":
        raise LookupError(f"no connector named {name!r}")
    connector = BuiltinConnector.from_config(current())
    for field, value in _OVERRIDES.get(name, {}).items():
        setattr(connector, field, value)
    return connector


@contextmanager
def override(name: str = "builtin", **settings: Any) -> Iterator[None]:
    """Change a connector's settings (``delay``, ``fail``, ``hang``) within a block; for tests."""
    previous = _OVERRIDES.get(name)
    _OVERRIDES[name] = {**(previous or {}), **settings}
    try:
        yield
    finally:
        if previous is None:
            _OVERRIDES.pop(name, None)
        else:
            _OVERRIDES[name] = previous
