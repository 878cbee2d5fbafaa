"""The builtin connector: signs with the issuing CA; a delay; chosen by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jitsuin.authorities.services import certificate_of, issuing_authority
from jitsuin.config import JitsuinConfig
from jitsuin.connectors.base import (
    ConnectorRejected,
    Issued,
    IssueOrder,
    Pending,
    RevokeOrder,
)
from jitsuin.connectors.builtin import BuiltinConnector
from jitsuin.connectors.registry import connector_for
from jitsuin.pki.names import person_subject

NOW = datetime.now(UTC)


def order(**kw) -> IssueOrder:
    fields = dict(
        request_id=1,
        subject=person_subject(common_name="Alice", uid="alice"),
        email="alice@example.ac.jp",
        template="client-auth",
        validity=timedelta(days=365),
        key_spec="rsa2048",
    )
    fields.update(kw)
    return IssueOrder(**fields)


def test_signs_with_the_issuing_ca_and_returns_key_and_chain(ca_hierarchy):
    result = BuiltinConnector().submit_issue(order(), now=NOW)
    assert isinstance(result, Issued)
    assert isinstance(result.private_key, rsa.RSAPrivateKey)
    assert result.chain[0] == certificate_of(issuing_authority())
    assert result.certificate.issuer == result.chain[0].subject
    assert len(result.chain) == 2


def test_key_spec_of_the_profile_is_used(ca_hierarchy):
    result = BuiltinConnector().submit_issue(order(key_spec="p256"), now=NOW)
    assert isinstance(result.private_key, ec.EllipticCurvePrivateKey)


def test_delay_returns_a_reference_ready_after_the_delay(ca_hierarchy):
    connector = BuiltinConnector(delay=timedelta(seconds=30))
    pending = connector.submit_issue(order(), now=NOW)
    assert isinstance(pending, Pending) and pending.retry_at == NOW + timedelta(seconds=30)
    assert isinstance(
        connector.poll(pending.ref, order(), now=NOW + timedelta(seconds=29)), Pending
    )
    assert isinstance(connector.poll(pending.ref, order(), now=NOW + timedelta(seconds=30)), Issued)


def test_validity_beyond_the_issuing_ca_is_a_permanent_refusal(ca_hierarchy):
    with pytest.raises(ConnectorRejected) as err:
        BuiltinConnector().submit_issue(order(validity=timedelta(days=365 * 40)), now=NOW)
    assert "issuing CA expires" in str(err.value)


def test_revoke_of_a_foreign_certificate_is_refused(ca_hierarchy):
    foreign = RevokeOrder(
        request_id=1, serial=5, issuer_fingerprint="00" * 32, reason="unspecified"
    )
    with pytest.raises(ConnectorRejected):
        BuiltinConnector().submit_revoke(foreign, now=NOW)


def test_config():
    config = JitsuinConfig.from_env({"JITSUIN_BUILTIN_DELAY": "2h", "JITSUIN_KEY_POOL": "0"})
    connector = BuiltinConnector.from_config(config)
    assert connector.delay == timedelta(hours=2) and connector.key_pool == 0


def test_the_builtin_connector_has_no_fault_hooks(ca_hierarchy):
    config = JitsuinConfig.from_env({"CHAOS_FAIL": "always", "JITSUIN_BUILTIN_FAIL": "always"})
    connector = BuiltinConnector.from_config(config)
    assert isinstance(connector.submit_issue(order(attempt=3), now=NOW), Issued)
    assert connector.in_maintenance(NOW) is None


def test_connectors_by_name():
    assert type(connector_for("builtin")) is BuiltinConnector
    with pytest.raises(LookupError):
        connector_for("nope")
