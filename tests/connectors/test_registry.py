"""Connectors by name: the builtin CA, or any importable class named in JITSUIN_CONNECTORS."""

from __future__ import annotations

import pytest

from jitsuin import config
from jitsuin.config import ConfigError, JitsuinConfig
from jitsuin.connectors.builtin import BuiltinConnector
from jitsuin.connectors.registry import connector_for
from tests.chaos.connector import ChaosConnector


@pytest.fixture
def connectors(monkeypatch):  # type: ignore[no-untyped-def]
    def use(value: str) -> None:
        monkeypatch.setenv("JITSUIN_CONNECTORS", value)
        config.current.cache_clear()

    yield use
    monkeypatch.undo()
    config.current.cache_clear()


def test_a_named_class_adds_a_connector_or_replaces_the_builtin_one(connectors):
    connectors("upstream=tests.chaos.connector:ChaosConnector")
    assert isinstance(connector_for("upstream"), ChaosConnector)
    assert type(connector_for("builtin")) is BuiltinConnector
    connectors("builtin=tests.chaos.connector:ChaosConnector")
    assert isinstance(connector_for("builtin"), ChaosConnector)


def test_a_malformed_item_stops_start_up_naming_the_variable():
    for bad in ("builtin", "builtin=tests.chaos.connector", "=a.b:C", "b=a b:C"):
        with pytest.raises(ConfigError, match="JITSUIN_CONNECTORS"):
            JitsuinConfig.from_env({"JITSUIN_CONNECTORS": bad})


def test_a_class_that_cannot_be_loaded_is_a_config_error(connectors):
    connectors("builtin=tests.no_such_module:Connector")
    with pytest.raises(ConfigError, match="JITSUIN_CONNECTORS: cannot load"):
        connector_for("builtin")
    connectors("builtin=tests.chaos.connector:NoSuchClass")
    with pytest.raises(ConfigError, match="cannot load"):
        connector_for("builtin")
    connectors("builtin=tests.chaos:chaos_env")
    with pytest.raises(ConfigError, match="from_config"):
        connector_for("builtin")
