"""actions_for: the portal's buttons agree with the services."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives import serialization

from jitsuin.authorities.services import issuing_authority, public_urls, signer_for
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Pickup
from jitsuin.lifecycle.permissions import DisplayStatus, actions_for, with_page_facts
from jitsuin.lifecycle.policies import evaluate_issue
from jitsuin.lifecycle.services import (
    collect_pickup,
    grant_exception,
    request_issue,
    request_revoke,
)
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, person_subject
from jitsuin.pki.profiles import CLIENT_AUTH
from tests.lifecycle.conftest import T0, key, make_person, run_pipeline


def certificate_for(person, profile, *, now=T0, days=730) -> Certificate:
    """A real certificate row signed by the issuing CA (no pipeline), for setting up states."""
    authority = issuing_authority()
    key_ = generate_private_key(KeySpec.parse("p256"))
    leaf = issue_certificate(
        profile=CLIENT_AUTH.with_validity(timedelta(days=days)),
        subject=person_subject(common_name=person.uid, uid=person.uid),
        public_key=key_.public_key(),
        signer=signer_for(authority),
        clock=FixedClock(now),
        urls=public_urls(),
        email=person.email,
    )
    return Certificate.objects.create(
        issuer=authority,
        person=person,
        profile=profile,
        serial=Serial(leaf.serial_number).db,
        subject=leaf.subject.rfc4514_string(),
        email=person.email,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint_sha256=fingerprint_sha256(leaf),
        der=leaf.public_bytes(serialization.Encoding.DER),
    )


def test_new_person_can_issue(profile, alice):
    actions = actions_for(alice, now=T0)
    assert actions.can_issue and actions.issue_blocked_reason == ""
    assert actions.profile == profile


def test_open_request_blocks_another(profile, alice):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)
    actions = actions_for(alice, now=T0)
    assert not actions.can_issue and actions.open_request == request
    assert actions.issue_blocked_reason


def test_certificate_statuses_and_buttons(profile, alice):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)
    run_pipeline(T0)
    request.refresh_from_db()
    certificate = request.certificate
    actions = actions_for(alice, now=T0).for_certificate(certificate)
    assert actions.status == DisplayStatus.VALID and actions.can_revoke and actions.can_download
    assert str(actions.status_label) == "Valid" or actions.status_label
    collect_pickup(Pickup.objects.get(certificate=certificate), actor="user:alice", now=T0)
    request_revoke(certificate, actor="user:alice", idempotency_key=key(), now=T0)
    actions = actions_for(alice, now=T0).for_certificate(certificate)
    assert actions.status == DisplayStatus.REVOKING and not actions.can_revoke
    run_pipeline(T0)
    certificate.refresh_from_db()
    actions = actions_for(alice, now=T0).for_certificate(certificate)
    assert actions.status == DisplayStatus.REVOKED and not actions.can_revoke
    later = certificate.pickup.expires_at + timedelta(seconds=1)
    assert not actions_for(alice, now=later).for_certificate(certificate).can_download


def test_someone_elses_certificate_has_no_buttons(profile, alice):
    bob = make_person("bob")
    theirs = certificate_for(bob, profile)
    actions = actions_for(alice, now=T0).for_certificate(theirs)
    assert not (actions.can_revoke or actions.can_download or actions.can_confirm)


def test_expired_certificate(profile, alice):
    old = certificate_for(alice, profile, now=T0 - timedelta(days=40), days=30)
    actions = actions_for(alice, now=T0)
    assert actions.for_certificate(old).status == DisplayStatus.EXPIRED
    assert actions.can_issue  # an expired certificate does not count
    assert old.status == CertificateStatus.VALID


def test_a_page_of_certificates_gets_the_buttons_each_would_get_alone(
    profile, alice, django_assert_num_queries
):
    """``prepare`` over certificates read ``with_page_facts``: the same answers as asking for
    each certificate alone, in two queries (the open requests, the pickups) for them all."""
    first = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)
    run_pipeline(T0)
    first.refresh_from_db()
    collect_pickup(first.pickup, actor="user:alice", now=T0)
    second = request_issue(alice, actor="user:alice", idempotency_key=key(), now=T0)  # overlap
    run_pipeline(T0)
    second.refresh_from_db()
    collect_pickup(second.pickup, actor="user:alice", now=T0)
    revoking = certificate_for(alice, profile)
    request_revoke(revoking, actor="user:alice", idempotency_key=key(), now=T0)
    expired = certificate_for(alice, profile, now=T0 - timedelta(days=40), days=30)
    mine = [first.certificate, second.certificate, revoking, expired]
    alone = {c.pk: actions_for(alice, now=T0).for_certificate(c) for c in mine}

    page = list(
        with_page_facts(Certificate.objects.filter(person=alice), T0).select_related(
            "issuer__parent", "profile"
        )
    )
    actions = actions_for(alice, now=T0)
    with django_assert_num_queries(2):
        actions.prepare(page)
        together = {c.pk: actions.for_certificate(c) for c in page}

    assert together == alone
    assert together[second.certificate.pk].can_confirm  # it supersedes a live one
    assert together[revoking.pk].status == DisplayStatus.REVOKING
    assert together[revoking.pk].revoke_request is not None
    assert not any(c.key_archived for c in page)  # client-auth keys are not archived


def test_a_page_reads_the_person_s_exception_with_the_default_profile(profile, alice):
    grant_exception(alice, profile, policy="revoke-first", actor="staff:hd", reason="lab")
    bob = make_person("bob")

    assert actions_for(alice, now=T0).decision.policy == "revoke-first"
    assert actions_for(bob, now=T0).decision.policy == profile.rollover_policy
    # A profile read for alice says nothing about bob's policy.
    read_for_alice = actions_for(alice, now=T0).profile
    assert evaluate_issue(bob, read_for_alice, T0).policy == profile.rollover_policy
