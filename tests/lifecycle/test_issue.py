"""Issue requests from click to PKCS#12: one request, one certificate, the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.lifecycle import certificates
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import (
    Certificate,
    Pickup,
    PickupState,
    Profile,
    Request,
    RequestState,
    RequestTransition,
)
from jitsuin.lifecycle.services import collect_pickup, request_issue, reveal_pin
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.lifecycle.conftest import key, make_person, run_pipeline


def test_default_profile_exists_after_migrate(db):
    profile = Profile.objects.get(is_default=True)
    assert (profile.slug, profile.template, profile.key_spec) == (
        "client",
        "client-auth",
        "rsa2048",
    )
    assert (profile.validity_days, profile.rollover_policy) == (730, "overlap")


def test_issue_request_is_queued_then_ready_with_certificate_and_pickup(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert request.state == RequestState.QUEUED
    assert Certificate.objects.count() == 0

    assert run_pipeline(t0) == ["issued"]

    request.refresh_from_db()
    assert request.state == RequestState.READY
    certificate = request.certificate
    assert certificate is not None and certificate.person == alice
    leaf = x509.load_der_x509_certificate(bytes(certificate.der))
    assert f"{leaf.serial_number:x}" == certificate.serial
    assert isinstance(leaf.public_key(), rsa.RSAPublicKey) and leaf.public_key().key_size == 2048
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc >= timedelta(days=730)
    pickup = Pickup.objects.get(certificate=certificate)
    assert pickup.state == PickupState.READY
    assert pickup.expires_at == t0 + timedelta(days=14)
    states = list(request.transitions.values_list("from_state", "to_state"))
    assert states == [("", "queued"), ("queued", "processing"), ("processing", "ready")]


def test_pkcs12_holds_key_certificate_and_chain_and_opens_with_the_pin(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    request.refresh_from_db()
    pickup = Pickup.objects.get(request=request)
    pin = reveal_pin(pickup, actor="user:alice")
    data = collect_pickup(pickup, actor="user:alice", now=t0)
    contents = load_pkcs12(data, pin)
    der = contents.certificate.public_bytes(serialization.Encoding.DER)
    assert der == bytes(Certificate.objects.get(pk=request.certificate_id).der)
    assert len(contents.chain) == 2  # intermediate and root travel with the key
    assert contents.chain[0].subject == contents.certificate.issuer


def test_same_idempotency_key_returns_the_same_request(profile, alice, t0):
    first = request_issue(alice, actor="user:alice", idempotency_key="click-1", now=t0)
    again = request_issue(alice, actor="user:alice", idempotency_key="click-1", now=t0)
    assert again.pk == first.pk
    assert Request.objects.count() == 1


def test_second_tab_with_another_key_gets_the_open_request(profile, alice, t0):
    first = request_issue(alice, actor="user:alice", idempotency_key="tab-1", now=t0)
    second = request_issue(alice, actor="user:alice", idempotency_key="tab-2", now=t0)
    assert second.pk == first.pk
    run_pipeline(t0)
    assert Certificate.objects.count() == 1


def test_a_key_of_another_person_is_refused(profile, alice, t0):
    bob = make_person("bob")
    request_issue(alice, actor="user:alice", idempotency_key="shared", now=t0)
    with pytest.raises(NotAllowed):
        request_issue(bob, actor="user:bob", idempotency_key="shared", now=t0)


def test_a_second_request_after_issuance_waits_for_the_download(profile, alice, t0):
    request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    with pytest.raises(NotAllowed) as err:
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert err.value.code == "pickup_waiting"


def test_every_transition_writes_an_audit_event_and_the_chain_verifies(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    actions = list(
        AuditEvent.objects.filter(object_type="lifecycle.request", object_id=str(request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["request.issue.created", "request.issue.processing", "request.issue.ready"]
    assert RequestTransition.objects.filter(request=request).count() == 3
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1
    assert verify() is None


def test_publishing_is_told_inside_the_transaction_after_the_rows(profile, alice, t0, monkeypatch):
    seen: list[tuple[str, bool]] = []
    publish = certificates.publishing.certificates_issued

    def on_issued(issued):
        from django.db import transaction

        (certificate,) = issued
        for step in RequestTransition.objects.filter(request__certificate=certificate).order_by(
            "pk"
        ):
            seen.append((f"{step.from_state}->{step.to_state}", True))
        seen.append(("issued", Pickup.objects.filter(certificate=certificate).exists()))
        assert transaction.get_connection().in_atomic_block
        publish(issued)

    monkeypatch.setattr(certificates.publishing, "certificates_issued", on_issued)
    request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    assert seen == [
        ("->queued", True),
        ("queued->processing", True),
        ("processing->ready", True),
        ("issued", True),
    ]


def test_issue_from_a_csr_uses_the_key_of_the_csr_and_has_no_pickup(profile, alice, t0):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    csr_key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "somebody else")]))
        .sign(csr_key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), csr_pem=pem, now=t0)
    run_pipeline(t0)
    request.refresh_from_db()
    assert request.state == RequestState.DONE
    leaf = x509.load_der_x509_certificate(bytes(request.certificate.der))
    assert leaf.public_key().public_numbers() == csr_key.public_key().public_numbers()
    assert "alice" in leaf.subject.rfc4514_string()  # the directory's name, not the CSR's
    assert not Pickup.objects.filter(request=request).exists()


def test_a_weak_csr_is_refused_at_the_door(profile, alice, t0):
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the point of the test)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .sign(weak, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(NotAllowed) as err:
        request_issue(alice, actor="user:alice", idempotency_key=key(), csr_pem=pem, now=t0)
    assert err.value.code == "invalid_csr"
    assert Request.objects.count() == 0


def test_inactive_person_cannot_ask(profile, t0):
    gone = make_person("gone", active=False)
    with pytest.raises(NotAllowed) as err:
        request_issue(gone, actor="user:gone", idempotency_key=key(), now=t0)
    assert err.value.code == "inactive"
