"""Registering and removing RAs; the admin CA's certificates for TLS."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.signer import admin_ca, registration
from jitsuin.signer.registration import RegistrationError


@pytest.fixture
def signer_dir(tmp_path, monkeypatch, db):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JITSUIN_DATA_DIR", str(tmp_path / "signer"))
    config.current.cache_clear()
    admin_ca.init(["signer.example.ac.jp", "127.0.0.1"])
    yield tmp_path / "signer"
    monkeypatch.undo()
    config.current.cache_clear()


def test_init_makes_an_admin_ca_and_a_server_certificate_for_the_hosts(signer_dir):
    where = admin_ca.paths()
    ca = x509.load_pem_x509_certificate(where.ca_certificate.read_bytes())
    server = x509.load_pem_x509_certificate(where.server_certificate.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["signer.example.ac.jp"]
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert where.server_key.stat().st_mode & 0o077 == 0
    again, created = admin_ca.init(["signer.example.ac.jp"])
    assert not created and again == ca


def test_an_ra_gets_a_client_certificate_and_is_refused_once_removed(signer_dir):
    ra, credentials = registration.add_ra(
        "ra-one", profiles=["client-auth"], namespace=["@Example.ac.jp", "O=Example University"]
    )
    assert ra.email_domains == ["example.ac.jp"] and ra.organizations == ["Example University"]
    certificate = x509.load_pem_x509_certificate(credentials.certificate_pem)
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(credentials.ca_pem))
    assert registration.registered(credentials.fingerprint) == ra
    registration.remove_ra("ra-one")
    assert registration.registered(credentials.fingerprint) is None
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="signer.")] == [
        "signer.ra_added",
        "signer.ra_removed",
    ]


@pytest.mark.parametrize(
    ("name", "profiles", "namespace", "message"),
    [
        ("ra one", ["client-auth"], ["example.ac.jp"], "letters, digits"),
        ("ra", ["code-signing"], ["example.ac.jp"], "--profiles"),
        ("ra", ["client-auth"], [], "--namespace"),
        ("ra", ["client-auth"], ["not a domain"], "namespace 'not a domain'"),
    ],
)
def test_bad_registrations_are_refused(signer_dir, name, profiles, namespace, message):
    with pytest.raises(RegistrationError, match=message):
        registration.add_ra(name, profiles=profiles, namespace=namespace)


def test_a_name_is_not_registered_twice(signer_dir):
    registration.add_ra("ra", profiles=["client-auth"], namespace=["example.ac.jp"])
    with pytest.raises(RegistrationError, match="exists already"):
        registration.add_ra("ra", profiles=["client-auth"], namespace=["example.ac.jp"])
