"""The tests' chaos connector: the builtin CA with an upstream's faults, chosen by settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jitsuin.config import JitsuinConfig
from jitsuin.connectors.base import ConnectorError, ConnectorRejected, Issued, Maintenance
from jitsuin.connectors.builtin import BuiltinConnector
from jitsuin.connectors.registry import connector_for
from tests.chaos import chaos_env
from tests.chaos.connector import ChaosConnector, chaos
from tests.connectors.test_builtin import order

NOW = datetime.now(UTC)


def test_failure_modes(ca_hierarchy):
    with pytest.raises(ConnectorError):
        ChaosConnector(fail="always").submit_issue(order(attempt=3), now=NOW)
    with pytest.raises(ConnectorError):
        ChaosConnector(fail="once").submit_issue(order(attempt=1), now=NOW)
    assert isinstance(ChaosConnector(fail="once").submit_issue(order(attempt=2), now=NOW), Issued)
    with pytest.raises(ConnectorRejected):
        ChaosConnector(fail="reject").submit_issue(order(), now=NOW)
    with pytest.raises(ConnectorError):
        ChaosConnector(fail="hang", hang=timedelta(milliseconds=10)).submit_issue(order(), now=NOW)


def test_hang_after_sign_answers_with_the_certificate_late(ca_hierarchy):
    connector = ChaosConnector(fail="hang-after-sign", hang=timedelta(milliseconds=300))
    started = datetime.now(UTC)
    assert isinstance(connector.submit_issue(order(), now=NOW), Issued)
    assert datetime.now(UTC) - started >= timedelta(milliseconds=300)


def test_announced_maintenance():
    until = NOW + timedelta(hours=1)
    assert ChaosConnector(maintenance_until=until).in_maintenance(NOW) == Maintenance(until=until)
    assert ChaosConnector(maintenance_until=until).in_maintenance(until) is None


def test_settings_from_the_environment():
    config = JitsuinConfig.from_env({"JITSUIN_BUILTIN_DELAY": "2h"})
    connector = ChaosConnector.from_env(config, {"CHAOS_FAIL": "once", "CHAOS_HANG": "5s"})
    assert connector.delay == timedelta(hours=2) and connector.fail == "once"
    assert connector.hang == timedelta(seconds=5)
    with pytest.raises(ValueError, match="CHAOS_FAIL"):
        ChaosConnector.from_env(config, {"CHAOS_FAIL": "sometimes"})


def test_chaos_env_makes_it_the_builtin_connector_of_a_process():
    env = chaos_env("hang-after-sign", hang="6s")
    config = JitsuinConfig.from_env(env)
    assert config.connectors == {"builtin": "tests.chaos.connector:ChaosConnector"}
    assert env["CHAOS_FAIL"] == "hang-after-sign" and env["CHAOS_HANG"] == "6s"


def test_chaos_replaces_the_builtin_connector_within_a_block():
    with chaos(fail="always", delay=timedelta(seconds=1)):
        connector = connector_for("builtin")
        assert isinstance(connector, ChaosConnector)
        assert connector.fail == "always" and connector.delay == timedelta(seconds=1)
    assert type(connector_for("builtin")) is BuiltinConnector
    with pytest.raises(TypeError, match="no field"), chaos(fial="always"):
        pass
