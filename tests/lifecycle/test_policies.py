"""Rollover policies: revoke-first and issue-while-revoking (the seed's), overlap (default)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.lifecycle import overlap
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.housekeeping import revoke_superseded
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    Pickup,
    Request,
    RequestKind,
    RequestState,
    RolloverPolicy,
)
from jitsuin.lifecycle.permissions import actions_for
from jitsuin.lifecycle.services import (
    collect_pickup,
    confirm_new_certificate,
    grant_exception,
    request_issue,
    request_revoke,
)
from tests.lifecycle.conftest import key, run_pipeline


def issue_and_collect(person, now) -> Certificate:
    request = request_issue(person, actor=f"user:{person.uid}", idempotency_key=key(), now=now)
    run_pipeline(now)
    request.refresh_from_db()
    collect_pickup(Pickup.objects.get(request=request), actor=f"user:{person.uid}", now=now)
    return Certificate.objects.get(pk=request.certificate_id)


def use_policy(profile, policy):
    profile.rollover_policy = policy
    profile.save()


def test_overlap_issues_while_the_old_one_is_valid_and_revokes_it_after_first_use_and_grace(
    profile, alice, t0
):
    old = issue_and_collect(alice, t0)
    later = t0 + timedelta(days=300)
    new = issue_and_collect(alice, later)
    old.refresh_from_db()
    assert old.status == CertificateStatus.VALID and old.superseded_by == new
    assert profile.overlap_grace == timedelta(days=14)
    # Collected but never used: nothing starts the clock.
    assert revoke_superseded(later + timedelta(days=60)) == 0
    first_use = later + timedelta(days=3)
    Certificate.objects.filter(pk=new.pk).update(first_seen_at=first_use, last_seen_at=first_use)
    assert revoke_superseded(first_use + profile.overlap_grace - timedelta(minutes=1)) == 0
    assert revoke_superseded(first_use + profile.overlap_grace) == 1
    revoke = Request.objects.get(kind=RequestKind.REVOKE, target=old)
    assert revoke.reason == "superseded" and revoke.requested_by == "system:overlap"
    assert revoke_superseded(first_use + profile.overlap_grace) == 0  # already asked
    run_pipeline(first_use + profile.overlap_grace)
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED and old.revocation_reason == "superseded"
    assert revoke_superseded(later + timedelta(days=30)) == 0


def test_overlap_never_revokes_while_the_new_one_is_unused(profile, alice, t0):
    old = issue_and_collect(alice, t0)
    request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    old.refresh_from_db()
    assert old.superseded_by is not None
    assert overlap.revoke_date(old, t0) is None
    assert revoke_superseded(t0 + timedelta(days=60)) == 0


def test_overlap_confirmation_revokes_the_old_one_at_once(profile, alice, t0):
    old = issue_and_collect(alice, t0)
    new = issue_and_collect(alice, t0 + timedelta(days=1))
    assert actions_for(alice, now=t0 + timedelta(days=1)).for_certificate(new).can_confirm
    confirm_new_certificate(new, actor="user:alice", now=t0 + timedelta(days=1))
    run_pipeline(t0 + timedelta(days=1))
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED and old.revocation_reason == "superseded"


def test_overlap_a_sighting_of_the_new_one_alone_revokes_nothing(profile, alice, t0):
    old = issue_and_collect(alice, t0)
    new = issue_and_collect(alice, t0 + timedelta(days=1))
    seen = t0 + timedelta(days=2)
    Certificate.objects.filter(pk=new.pk).update(first_seen_at=seen, last_seen_at=seen)
    assert revoke_superseded(seen + timedelta(minutes=1)) == 0
    assert not Request.objects.filter(kind=RequestKind.REVOKE, target=old).exists()
    old.refresh_from_db()
    assert overlap.revoke_date(old, seen) == seen + profile.overlap_grace


def test_overlap_refuses_a_third_certificate_during_the_switch(profile, alice, t0):
    issue_and_collect(alice, t0)
    issue_and_collect(alice, t0 + timedelta(days=1))
    with pytest.raises(NotAllowed) as err:
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0 + timedelta(days=2))
    assert err.value.code == "rollover_in_progress"


def test_revoke_first_refuses_issue_until_revocation_is_requested(profile, alice, t0):
    use_policy(profile, RolloverPolicy.REVOKE_FIRST)
    old = issue_and_collect(alice, t0)
    actions = actions_for(alice, now=t0)
    assert not actions.can_issue and actions.issue_blocked_reason
    with pytest.raises(NotAllowed) as err:
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert err.value.code == "revoke_first"
    assert actions_for(alice, now=t0).for_certificate(old).can_revoke


def test_revoke_first_issues_only_after_the_old_one_is_revoked(profile, alice, t0):
    use_policy(profile, RolloverPolicy.REVOKE_FIRST)
    old = issue_and_collect(alice, t0)
    request_revoke(old, actor="user:alice", idempotency_key=key(), reason="superseded", now=t0)
    issue = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert issue.state == RequestState.WAITING and issue.wait_reason == "policy"
    # The worker sees the issue request first: it keeps waiting until the revocation is done.
    from jitsuin.lifecycle.pipeline import advance

    assert advance(issue.pk, worker_id="w", now=t0) == "policy_wait"
    run_pipeline(t0)
    old.refresh_from_db()
    issue.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED
    assert issue.state == RequestState.READY
    assert issue.certificate.not_before >= old.revoked_at - timedelta(minutes=5)


def test_issue_while_revoking_issues_once_revocation_is_requested(profile, alice, t0):
    use_policy(profile, RolloverPolicy.ISSUE_WHILE_REVOKING)
    old = issue_and_collect(alice, t0)
    with pytest.raises(NotAllowed):
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    request_revoke(old, actor="user:alice", idempotency_key=key(), now=t0)
    issue = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert issue.state == RequestState.QUEUED
    from jitsuin.lifecycle.pipeline import advance

    assert advance(issue.pk, worker_id="w", now=t0) == "issued"  # before the revocation is done
    old.refresh_from_db()
    assert old.status == CertificateStatus.VALID
    run_pipeline(t0)
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED


def test_staff_exception_lets_one_person_overlap(profile, alice, t0):
    use_policy(profile, RolloverPolicy.REVOKE_FIRST)
    issue_and_collect(alice, t0)
    grant_exception(alice, profile, policy="overlap", actor="staff:hd", reason="field trip")
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert request.state == RequestState.QUEUED


def test_expired_exception_no_longer_applies(profile, alice, t0):
    use_policy(profile, RolloverPolicy.REVOKE_FIRST)
    issue_and_collect(alice, t0)
    grant_exception(
        alice, profile, policy="overlap", actor="staff:hd", reason="x", expires_at=t0 - timedelta(1)
    )
    with pytest.raises(NotAllowed):
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)


def test_max_valid_allows_several_certificates(profile, alice, t0):
    profile.max_valid = 2
    profile.rollover_policy = RolloverPolicy.REVOKE_FIRST
    profile.save()
    issue_and_collect(alice, t0)
    second = issue_and_collect(alice, t0)
    assert second.status == CertificateStatus.VALID
    with pytest.raises(NotAllowed):
        request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
