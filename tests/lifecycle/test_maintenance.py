"""Maintenance windows: requests are accepted, wait until the end, then are processed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from jitsuin.lifecycle.maintenance import active_window
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    MaintenanceWindow,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.permissions import actions_for
from jitsuin.lifecycle.pipeline import advance
from jitsuin.lifecycle.services import request_issue, request_revoke
from tests.lifecycle.conftest import key, run_pipeline


def window(start, hours=2, scope="both"):
    return MaintenanceWindow.objects.create(
        starts_at=start, ends_at=start + timedelta(hours=hours), scope=scope
    )


def test_active_window_by_scope_and_chained_windows(db, t0):
    first = window(t0, hours=2, scope="issue")
    assert active_window("issue", t0) == first
    assert active_window("revoke", t0) is None
    assert active_window("issue", t0 + timedelta(hours=2)) is None
    chained = window(t0 + timedelta(hours=2), hours=1, scope="both")
    assert active_window("issue", t0 + timedelta(minutes=1)) == chained


def test_request_made_during_a_window_is_processed_after_it(profile, alice, t0):
    w = window(t0 - timedelta(minutes=30))
    assert actions_for(alice, now=t0).can_issue  # never refused
    with translation.override("en"):
        assert "Maintenance until" in str(actions_for(alice, now=t0).issue_note)
    with translation.override("ja"):
        assert "メンテナンス" in str(actions_for(alice, now=t0).issue_note)
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert request.state == RequestState.WAITING
    assert request.wait_reason == "maintenance" and request.not_before == w.ends_at
    assert run_pipeline(t0 + timedelta(minutes=10)) == ["not_due"]
    assert run_pipeline(w.ends_at) == ["issued"]
    request.refresh_from_db()
    assert request.state == RequestState.READY


def test_a_window_that_starts_after_the_request_holds_it_at_processing_time(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    w = window(t0 + timedelta(minutes=1))
    assert advance(request.pk, worker_id="w", now=t0 + timedelta(minutes=2)) == "maintenance"
    request.refresh_from_db()
    assert request.state == RequestState.WAITING and request.not_before == w.ends_at
    assert advance(request.pk, worker_id="w", now=w.ends_at) == "issued"


def test_revocation_window_does_not_hold_issuance(profile, alice, t0):
    window(t0 - timedelta(minutes=1), scope="revoke")
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert request.state == RequestState.QUEUED
    run_pipeline(t0)
    certificate = Certificate.objects.get()
    revoke = request_revoke(certificate, actor="user:alice", idempotency_key=key(), now=t0)
    assert revoke.state == RequestState.WAITING
    run_pipeline(t0 + timedelta(hours=2))
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert Request.objects.get(kind=RequestKind.REVOKE).state == RequestState.DONE


def test_upstream_announced_maintenance_holds_the_request(profile, alice, t0):
    from tests.chaos.connector import chaos

    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    until = t0 + timedelta(hours=3)
    with chaos(maintenance_until=until):
        assert advance(request.pk, worker_id="w", now=t0) == "maintenance"
        request.refresh_from_db()
        assert request.state == RequestState.WAITING and request.not_before == until
        assert advance(request.pk, worker_id="w", now=until) == "issued"


def test_a_cancelled_window_releases_the_requests_it_held(profile, alice, t0):
    from jitsuin.lifecycle.housekeeping import release_early_maintenance, sweep

    w = window(t0 - timedelta(minutes=5), hours=4)
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert request.state == RequestState.WAITING
    assert release_early_maintenance(t0 + timedelta(minutes=1)) == 0  # still on
    w.delete()  # the operator cancels it
    sweep(t0 + timedelta(minutes=1))
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED and request.not_before is None
    assert request.transitions.last().note == "the maintenance window ended early"
    assert advance(request.pk, worker_id="w", now=t0 + timedelta(minutes=1)) == "issued"


def test_a_maintenance_extended_while_a_request_waits_keeps_it_waiting(profile, alice, t0):
    from tests.chaos.connector import chaos

    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    first, extended = t0 + timedelta(hours=1), t0 + timedelta(hours=3)
    with chaos(maintenance_until=first):
        assert advance(request.pk, worker_id="w", now=t0) == "maintenance"
    with chaos(maintenance_until=extended):  # the upstream announces a longer one
        assert advance(request.pk, worker_id="w", now=first) == "maintenance"
        request.refresh_from_db()
        assert request.state == RequestState.WAITING and request.not_before == extended
        assert advance(request.pk, worker_id="w", now=extended) == "issued"
