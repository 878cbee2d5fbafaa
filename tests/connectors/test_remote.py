"""The remote connector's own parts: its order keys, the keys it makes for an order, how it
reads the signer's answers, its settings. The whole path runs against a real signer in
tests/signer/test_two_processes.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.config import ConfigError, JitsuinConfig
from jitsuin.connectors.base import ConnectorError, ConnectorRejected, IssueOrder
from jitsuin.connectors.remote import PendingKeys, RemoteConnector, instance_id, order_key
from jitsuin.connectors.remote_client import SignerClient, client_context, judge
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.names import person_subject
from tests.serving import free_port


def test_an_order_key_is_a_function_of_the_request_and_this_instance(db):
    record("test.genesis")
    assert order_key("issue", 7) == order_key("issue", 7)
    assert order_key("issue", 7) != order_key("revoke", 7) != order_key("issue", 8)
    assert order_key("issue", 7).startswith(instance_id())


def test_another_database_under_the_same_secret_is_another_instance(db):
    record("test.genesis", data={"n": 1})
    first = instance_id()
    AuditEvent.objects.all().delete()
    record("test.genesis", data={"n": 2})
    assert instance_id() != first


def test_a_key_made_for_an_order_is_the_same_until_the_order_is_answered(tmp_path, db):
    keys = PendingKeys(tmp_path / "pending")
    first = keys.get_or_make("order-1", KeySpec.parse("p256"))
    again = keys.get_or_make("order-1", KeySpec.parse("p256"))
    assert again.public_key() == first.public_key()
    assert keys.get_or_make("order-2", KeySpec.parse("p256")).public_key() != first.public_key()
    keys.forget("order-1")
    assert keys.get_or_make("order-1", KeySpec.parse("p256")).public_key() != first.public_key()


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_outages_and_the_rate_limit_are_transient(status):
    with pytest.raises(ConnectorError, match="upstream unavailable") as caught:
        judge(status, b'{"error": "busy"}', "7", "signer:8443")
    assert not isinstance(caught.value, ConnectorRejected)
    assert "busy" in str(caught.value)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422])
def test_refusals_are_permanent_with_the_signers_message(status):
    with pytest.raises(ConnectorRejected, match="outside RA ra's e-mail domains"):
        judge(status, b'{"error": "outside RA ra\'s e-mail domains"}', None, "signer:8443")


def test_an_unreachable_signer_is_transient(tmp_path, db):
    client = SignerClient(f"https://127.0.0.1:{free_port()}", context=_context(tmp_path), timeout=2)
    order = IssueOrder(
        request_id=1,
        subject=person_subject(common_name="a", uid="a", organization="jitsuin"),
        email="a@example.ac.jp",
        template="client-auth",
        validity=timedelta(days=1),
        csr_pem="-----BEGIN CERTIFICATE REQUEST-----",
    )
    connector = RemoteConnector(client=client, pending_keys=PendingKeys(tmp_path / "pending"))
    with pytest.raises(ConnectorError, match="upstream unavailable") as caught:
        connector.submit_issue(order, now=timezone.now())
    assert not isinstance(caught.value, ConnectorRejected)


def _context(tmp_path):  # type: ignore[no-untyped-def]
    """A TLS client context (a self-signed certificate as client and as anchor)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name.from_rfc4514_string("CN=test")
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "cert.pem"
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return client_context(pem, key_file, pem)


def test_the_settings_come_together_or_not_at_all(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="JITSUIN_SIGNER_URL"):
        JitsuinConfig.from_env({"JITSUIN_SIGNER_CA": str(cert)})
    with pytest.raises(ConfigError, match="JITSUIN_SIGNER_CLIENT_KEY"):
        JitsuinConfig.from_env(
            {
                "JITSUIN_SIGNER_URL": "https://signer:8443",
                "JITSUIN_SIGNER_CLIENT_CERT": str(cert),
                "JITSUIN_SIGNER_CA": str(cert),
            }
        )


def test_the_connector_without_a_signer_is_a_config_error(monkeypatch):
    monkeypatch.delenv("JITSUIN_SIGNER_URL", raising=False)
    config.current.cache_clear()
    with pytest.raises(ConfigError, match="JITSUIN_SIGNER_URL"):
        RemoteConnector.from_config(config.current())
    config.current.cache_clear()
