"""The chaos connector: jitsuin's builtin CA with the faults of a real upstream (see
``tests.chaos``). ``chaos(...)`` makes it this process' builtin connector within a block."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jitsuin import config
from jitsuin.config import JitsuinConfig, parse_duration
from jitsuin.connectors.base import (
    ConnectorError,
    ConnectorRejected,
    Issued,
    IssueOrder,
    Maintenance,
    Pending,
    Revoked,
    RevokeOrder,
)
from jitsuin.connectors.builtin import BuiltinConnector
from tests.chaos import AS_BUILTIN, FAIL_MODES

# The fields chaos(...) sets on every chaos connector this process builds.
_in_process: dict[str, Any] = {}


@dataclass
class ChaosConnector(BuiltinConnector):
    fail: str = ""
    hang: timedelta = timedelta(hours=1)
    # The upstream announces maintenance until this instant.
    maintenance_until: datetime | None = None

    @classmethod
    def from_config(cls, config: JitsuinConfig) -> ChaosConnector:
        connector = cls.from_env(config, os.environ)
        for name, value in _in_process.items():
            setattr(connector, name, value)
        return connector

    @classmethod
    def from_env(cls, config: JitsuinConfig, env: Mapping[str, str]) -> ChaosConnector:
        """The builtin connector of ``config`` with the faults named in ``env``."""
        fail = env.get("CHAOS_FAIL", "").strip().lower()
        if fail not in FAIL_MODES:
            raise ValueError(f"CHAOS_FAIL: {fail!r} is not one of {FAIL_MODES}")
        hang = parse_duration(env.get("CHAOS_HANG") or "1h", name="CHAOS_HANG")
        builtin = BuiltinConnector.from_config(config)
        return cls(delay=builtin.delay, key_pool=builtin.key_pool, fail=fail, hang=hang)

    def _faults(self, attempt: int) -> None:
        if self.fail == "always" or (self.fail == "once" and attempt <= 1):
            raise ConnectorError("chaos CA: simulated upstream failure (CHAOS_FAIL)")
        if self.fail == "reject":
            raise ConnectorRejected("chaos CA: simulated refusal (CHAOS_FAIL=reject)")
        if self.fail == "hang":
            time.sleep(self.hang.total_seconds())
            raise ConnectorError("chaos CA: no answer (CHAOS_FAIL=hang)")

    def _sign(self, order: IssueOrder, now: datetime) -> Issued:
        issued = super()._sign(order, now)
        if self.fail == "hang-after-sign":
            time.sleep(self.hang.total_seconds())
        return issued

    def submit_issue(self, order: IssueOrder, *, now: datetime) -> Issued | Pending:
        self._faults(order.attempt)
        return super().submit_issue(order, now=now)

    def submit_revoke(self, order: RevokeOrder, *, now: datetime) -> Revoked | Pending:
        self._faults(order.attempt)
        return super().submit_revoke(order, now=now)

    def in_maintenance(self, now: datetime) -> Maintenance | None:
        if self.maintenance_until is not None and now < self.maintenance_until:
            return Maintenance(until=self.maintenance_until)
        return super().in_maintenance(now)


@contextmanager
def chaos(**fields: Any) -> Iterator[None]:
    """Within the block, this process' builtin connector is a chaos connector with these
    fields (``fail``, ``hang``, ``delay``, ``key_pool``, ``maintenance_until``)."""
    unknown = set(fields) - {f.name for f in dataclasses.fields(ChaosConnector)}
    if unknown:
        raise TypeError(f"the chaos connector has no field {sorted(unknown)}")
    previous_env = os.environ.get("JITSUIN_CONNECTORS")
    previous = dict(_in_process)
    os.environ["JITSUIN_CONNECTORS"] = AS_BUILTIN
    _in_process.update(fields)
    config.current.cache_clear()
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop("JITSUIN_CONNECTORS", None)
        else:
            os.environ["JITSUIN_CONNECTORS"] = previous_env
        _in_process.clear()
        _in_process.update(previous)
        config.current.cache_clear()
