"""Archive at issuance, the owner's recovery, dual control for anyone else's key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.models import User
from django.utils import translation

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.errors import InvalidState, NotAllowed, NotFound
from jitsuin.lifecycle.housekeeping import expire_pickups
from jitsuin.lifecycle.models import (
    CertificateStatus,
    KeyArchive,
    KeyRecovery,
    Pickup,
    PickupState,
    RecoveryState,
)
from jitsuin.lifecycle.pickups import collect_pickup, reveal_pin
from jitsuin.lifecycle.services import default_profile
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.keyarchive import generate_recovery_key, load_recovery_private_key
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.portal.conftest import give_certificate, make_user_person
from tests.recovery.conftest import PASSPHRASE
from tests.staff_fixtures import staff

pytestmark = pytest.mark.django_db


def _spki(public: object) -> bytes:
    return public.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def own_recovery(person, certificate, reason="new laptop"):  # type: ignore[no-untyped-def]
    return recovery.request_own_recovery(
        person,
        certificate.key_archive.pk,
        user=person.user,
        actor=f"user:{person.uid}",
        reason=reason,
    )


def test_an_smime_key_is_archived_at_issuance_encrypted(alice_cert):
    archive = KeyArchive.objects.get(certificate=alice_cert)
    assert bytes(archive.encrypted_key).startswith(b"JKA1")
    assert b"PRIVATE KEY" not in bytes(archive.encrypted_key)
    assert AuditEvent.objects.filter(action="key.archived").count() == 1
    assert recovery.archiving_for(alice_cert.profile) is recovery.Archiving.ON


def test_a_client_auth_only_certificate_archives_nothing(ca_hierarchy):
    profile = default_profile()  # client-auth
    assert recovery.archiving_for(profile) is recovery.Archiving.NOT_APPLICABLE
    certificate = give_certificate(make_user_person("carol"))
    assert not KeyArchive.objects.filter(certificate=certificate).exists()
    assert not AuditEvent.objects.filter(action="key.archived").exists()


def test_without_a_recovery_key_nothing_is_archived_and_the_profile_says_so(no_recovery_key, alice):
    assert recovery.archiving_for(default_profile()) is recovery.Archiving.NO_RECOVERY_KEY
    certificate = give_certificate(alice)
    assert not KeyArchive.objects.filter(certificate=certificate).exists()


def test_the_owner_recovers_a_revoked_and_expired_key_with_a_new_pin(
    alice, alice_cert, recovery_private
):
    issuance_pin = reveal_pin(alice_cert.pickup, actor="user:alice")
    alice_cert.status = CertificateStatus.REVOKED
    alice_cert.save()
    asked = own_recovery(alice, alice_cert)
    assert asked.state == RecoveryState.APPROVED  # the owner needs no approval
    later = alice_cert.not_after + timedelta(days=30)
    pickup = recovery.process_one(asked, recovery_private, actor="staff:keeper", now=later)
    asked.refresh_from_db()
    assert asked.state == RecoveryState.RECOVERED
    assert pickup.recovery == asked and pickup.request is None
    pin = reveal_pin(pickup, actor="user:alice")
    assert pin != issuance_pin
    data = collect_pickup(pickup, actor="user:alice", now=later)
    contents = load_pkcs12(data, pin)
    leaf = x509.load_der_x509_certificate(bytes(alice_cert.der))
    assert _spki(contents.key.public_key()) == _spki(leaf.public_key())
    assert contents.chain  # the issuing CA travels with it, as at issuance
    mail = OutboxMessage.objects.get(event="key_recovered")
    assert mail.to == "alice@example.ac.jp"
    assert "new laptop" in mail.body and "user:alice" in mail.body
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"key_recovery.requested", "key.recovered", "pickup.downloaded"} <= actions


def test_a_second_recovery_of_the_same_key_is_allowed_audited_and_has_a_new_pin(
    alice, alice_cert, recovery_private
):
    first = recovery.process_one(own_recovery(alice, alice_cert), recovery_private, actor="k")
    second = recovery.process_one(
        own_recovery(alice, alice_cert, "again"), recovery_private, actor="k"
    )
    assert first.pk != second.pk
    assert reveal_pin(first, actor="user:alice") != reveal_pin(second, actor="user:alice")
    assert AuditEvent.objects.filter(action="key.recovered").count() == 2
    assert OutboxMessage.objects.filter(event="key_recovered").count() == 2


def test_two_open_recoveries_of_one_key_for_one_person_are_refused(alice, alice_cert):
    own_recovery(alice, alice_cert)
    with pytest.raises(NotAllowed):
        own_recovery(alice, alice_cert)


def test_a_recovery_needs_a_reason(alice, alice_cert):
    with pytest.raises(NotAllowed):
        own_recovery(alice, alice_cert, reason="   ")


def test_nobody_recovers_another_persons_key_through_the_owner_path(alice, alice_cert, bob):
    with pytest.raises(NotFound):
        recovery.request_own_recovery(
            bob, alice_cert.key_archive.pk, user=bob.user, actor="user:bob", reason="mine"
        )


def _admin(username: str) -> User:
    return User.objects.filter(username=username).first() or staff(username, "ca-admin")


def _staff_recovery(certificate):  # type: ignore[no-untyped-def]
    requester = staff("ca-req", "ca-admin")
    asked = recovery.request_recovery_for(
        certificate.key_archive, staff_user=requester, actor="staff:ca-req", reason="legal hold"
    )
    return requester, asked


def test_someone_elses_key_with_one_approval_is_not_processable(alice_cert, recovery_private):
    _requester, asked = _staff_recovery(alice_cert)
    assert asked.state == RecoveryState.AWAITING_APPROVAL
    recovery.approve(asked, approver=_admin("ca-one"))
    asked.refresh_from_db()
    assert asked.state == RecoveryState.AWAITING_APPROVAL
    with pytest.raises(InvalidState):
        recovery.process_one(asked, recovery_private, actor="staff:keeper")
    assert recovery.process_approved(recovery_private, actor="staff:keeper") == []
    assert not Pickup.objects.filter(recovery=asked).exists()


def test_only_an_active_ca_admin_asks_for_or_approves_someone_elses_key(alice_cert):
    """The service checks the role itself, not only the console page in front of it."""
    helpdesk = staff("desk", "helpdesk")
    with pytest.raises(NotAllowed):
        recovery.request_recovery_for(
            alice_cert.key_archive, staff_user=helpdesk, actor="staff:desk", reason="curious"
        )
    _requester, asked = _staff_recovery(alice_cert)
    with pytest.raises(NotAllowed):
        recovery.approve(asked, approver=helpdesk)
    gone = _admin("ca-gone")
    gone.is_active = False
    gone.save()
    with pytest.raises(NotAllowed):
        recovery.approve(asked, approver=gone)
    assert not AuditEvent.objects.filter(action="key_recovery.approved").exists()


def test_the_requester_and_a_repeated_approver_cannot_approve(alice_cert):
    _requester, asked = _staff_recovery(alice_cert)
    with pytest.raises(NotAllowed):
        recovery.approve(asked, approver=_admin("ca-req"))
    recovery.approve(asked, approver=_admin("ca-one"))
    with pytest.raises(NotAllowed):
        recovery.approve(asked, approver=_admin("ca-one"))
    assert AuditEvent.objects.filter(action="key_recovery.approved").count() == 1


def test_two_different_approvers_make_it_processable_for_the_requester_only(
    alice, alice_cert, recovery_private
):
    requester, asked = _staff_recovery(alice_cert)
    recovery.approve(asked, approver=_admin("ca-one"))
    recovery.approve(asked, approver=_admin("ca-two"))
    asked.refresh_from_db()
    assert asked.state == RecoveryState.APPROVED
    [done] = recovery.process_approved(recovery_private, actor="staff:keeper")
    assert done.error == "" and done.pickup is not None
    assert recovery.pickup_for_recipient(requester, done.pickup.pk) == done.pickup
    with pytest.raises(NotFound):
        recovery.pickup_for_recipient(User.objects.create_user("other"), done.pickup.pk)
    from jitsuin.lifecycle.services import pickup_for

    with pytest.raises(NotFound):  # the owner does not get a file made for someone else
        pickup_for(alice, done.pickup.pk)
    mail = OutboxMessage.objects.get(event="key_recovered")
    assert "staff:ca-req" in mail.body and "staff:ca-one" in mail.body
    assert "staff:ca-two" in mail.body and "legal hold" in mail.body
    approvals = AuditEvent.objects.filter(action="key_recovery.approved")
    assert sorted(approvals.values_list("actor", flat=True)) == ["staff:ca-one", "staff:ca-two"]


def test_processing_with_another_recovery_key_is_refused_and_leaves_it_approved(alice, alice_cert):
    asked = own_recovery(alice, alice_cert)
    stranger = load_recovery_private_key(
        generate_recovery_key(PASSPHRASE, bits=3072).private_pem, PASSPHRASE
    )
    with translation.override("en"):
        [done] = recovery.process_approved(stranger, actor="staff:keeper")
    assert done.pickup is None and "another recovery key" in done.error
    asked.refresh_from_db()
    assert asked.state == RecoveryState.APPROVED
    assert not AuditEvent.objects.filter(action="key.recovered").exists()


def test_a_recovery_pickup_expires_without_revoking_the_certificate(
    alice, alice_cert, recovery_private
):
    pickup = recovery.process_one(own_recovery(alice, alice_cert), recovery_private, actor="k")
    assert expire_pickups(pickup.expires_at + timedelta(seconds=1)) >= 1
    pickup.refresh_from_db()
    alice_cert.refresh_from_db()
    assert pickup.state == PickupState.DESTROYED
    assert alice_cert.status == CertificateStatus.VALID
    assert KeyArchive.objects.filter(certificate=alice_cert).exists()  # still recoverable


def test_a_cancelled_recovery_is_not_processed(alice, alice_cert, recovery_private):
    asked = own_recovery(alice, alice_cert)
    recovery.cancel(asked, actor="user:alice")
    assert recovery.process_approved(recovery_private, actor="k") == []
    assert KeyRecovery.objects.get(pk=asked.pk).state == RecoveryState.CANCELLED
