"""Connectors by name, built from the configuration.

``builtin`` is jitsuin's own CA (:class:`BuiltinConnector`). ``JITSUIN_CONNECTORS`` adds
connectors or replaces one, ``builtin`` included, with any importable class that has a
``from_config(config)`` class method: ``name=package.module:Class``.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from jitsuin.config import ConfigError, current
from jitsuin.connectors.base import Connector
from jitsuin.connectors.builtin import BuiltinConnector


def connector_for(name: str) -> Connector:
    """The connector called ``name``, built from the current configuration; a LookupError
    when no connector has that name, a ConfigError when its class cannot be loaded."""
    config = current()
    path = config.connectors.get(name)
    if path is not None:
        return _connector_class(path).from_config(config)
    if name != "builtin":
        raise LookupError(f"no connector named {name!r}")
    return BuiltinConnector.from_config(config)


@cache
def _connector_class(path: str) -> Any:
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"JITSUIN_CONNECTORS: cannot load {path!r}: {exc}") from exc
    if not callable(getattr(cls, "from_config", None)):
        raise ConfigError(f"JITSUIN_CONNECTORS: {path!r} has no from_config(config)")
    return cls
