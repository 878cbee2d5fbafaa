"""The builtin connector: signs with the issuing CA; delay and failure hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jitsuin.authorities.services import certificate_of, issuing_authority
from jitsuin.config import JitsuinConfig
from jitsuin.connectors.base import (
    ConnectorError,
    ConnectorRejected,
    Issued,
    IssueOrder,
    Pending,
    RevokeOrder,
)
from jitsuin.connectors.builtin import BuiltinConnector
from jitsuin.connectors.registry import connector_for, override
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


def test_failure_hooks(ca_hierarchy):
    with pytest.raises(ConnectorError):
        BuiltinConnector(fail="always").submit_issue(order(attempt=3), now=NOW)
    with pytest.raises(ConnectorError):
        BuiltinConnector(fail="once").submit_issue(order(attempt=1), now=NOW)
    assert isinstance(BuiltinConnector(fail="once").submit_issue(order(attempt=2), now=NOW), Issued)
    with pytest.raises(ConnectorRejected):
        BuiltinConnector(fail="reject").submit_issue(order(), now=NOW)
    with pytest.raises(ConnectorError):
        BuiltinConnector(fail="hang", hang=timedelta(milliseconds=10)).submit_issue(
            order(), now=NOW
        )


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


def test_config_and_override():
    config = JitsuinConfig.from_env({"JITSUIN_BUILTIN_DELAY": "2h", "JITSUIN_BUILTIN_FAIL": "once"})
    connector = BuiltinConnector.from_config(config)
    assert connector.delay == timedelta(hours=2) and connector.fail == "once"
    with pytest.raises(ValueError):
        BuiltinConnector.from_config(JitsuinConfig.from_env({"JITSUIN_BUILTIN_FAIL": "sometimes"}))
    with override(fail="always", delay=timedelta(seconds=1)):
        assert connector_for("builtin").fail == "always"
    assert connector_for("builtin").fail == ""
    with pytest.raises(LookupError):
        connector_for("nope")
