"""An upstream that fails, refuses or hangs: retries with backoff, then failed; retry works."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.config import current
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.housekeeping import sweep
from jitsuin.lifecycle.models import Certificate, Request, RequestState
from jitsuin.lifecycle.pipeline import advance, backoff
from jitsuin.lifecycle.services import cancel_request, request_issue, retry_request
from tests.chaos.connector import chaos
from tests.lifecycle.conftest import key


def test_backoff_doubles_and_is_capped():
    base = current().pipeline.retry_base
    assert [backoff(n) for n in (1, 2, 3)] == [base, base * 2, base * 4]
    assert backoff(50) == current().pipeline.retry_max


def test_failing_upstream_is_retried_with_backoff_then_failed_with_the_error(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    now = t0
    waits = []
    with chaos(fail="always"):
        for _ in range(current().pipeline.max_attempts - 1):
            assert advance(request.pk, worker_id="w", now=now) == "retry"
            request.refresh_from_db()
            assert request.state == RequestState.WAITING and request.wait_reason == "retry"
            assert "simulated upstream failure" in request.last_error
            assert advance(request.pk, worker_id="w", now=now) == "not_due"
            waits.append(request.not_before - now)
            now = request.not_before
        assert advance(request.pk, worker_id="w", now=now) == "failed"
    assert waits == sorted(waits) and waits[0] < waits[-1]
    request.refresh_from_db()
    assert request.state == RequestState.FAILED
    assert "simulated upstream failure" in request.last_error
    assert Certificate.objects.count() == 0

    retried = retry_request(request, actor="staff:hd", reason="upstream back", now=now)
    assert retried.state == RequestState.QUEUED and retried.attempts == 0
    assert advance(request.pk, worker_id="w", now=now) == "issued"
    assert Certificate.objects.count() == 1


def test_one_failure_then_success(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    with chaos(fail="once"):
        assert advance(request.pk, worker_id="w", now=t0) == "retry"
        request.refresh_from_db()
        assert advance(request.pk, worker_id="w", now=request.not_before) == "issued"


def test_a_refusal_fails_at_once(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    with chaos(fail="reject"):
        assert advance(request.pk, worker_id="w", now=t0) == "failed"
    request.refresh_from_db()
    assert "refusal" in request.last_error


def test_a_hung_worker_loses_its_lease_and_another_finishes_exactly_once(profile, alice, t0):
    from jitsuin.lifecycle import pipeline

    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    # Worker A claims, then hangs in the connector (we simply never let it return).
    outcome, claimed = pipeline._claim(request.pk, worker_id="A", now=t0)
    assert outcome == "claimed" and claimed.lease_owner == "A"
    assert advance(request.pk, worker_id="B", now=t0 + timedelta(seconds=5)) == "leased"
    later = claimed.lease_until + timedelta(seconds=1)
    assert sweep(later) == 1  # the sweep re-enqueues the request with the dead lease
    assert advance(request.pk, worker_id="B", now=later) == "issued"
    # A wakes up with a result: it is discarded, no second certificate.
    from jitsuin.connectors.registry import connector_for

    result = connector_for("builtin").submit_issue(pipeline._order(claimed), now=later)
    assert pipeline._finish(request.pk, "A", later, result) == "lost_lease"
    assert Certificate.objects.count() == 1
    request.refresh_from_db()
    assert request.attempts == 2


def test_an_upstream_that_never_answers_ends_failed(profile, alice, t0):
    from jitsuin.lifecycle import pipeline

    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    now = t0
    for _ in range(current().pipeline.max_attempts):
        outcome, claimed = pipeline._claim(request.pk, worker_id=f"w{now}", now=now)
        assert outcome == "claimed"
        now = claimed.lease_until + timedelta(seconds=1)
    assert advance(request.pk, worker_id="last", now=now) == "failed"
    request.refresh_from_db()
    assert request.state == RequestState.FAILED and request.last_error


def test_cancel_needs_a_reason_and_an_open_request(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    with pytest.raises(NotAllowed):
        cancel_request(request, actor="staff:hd", reason="", now=t0)
    cancelled = cancel_request(request, actor="staff:hd", reason="duplicate", now=t0)
    assert cancelled.state == RequestState.CANCELLED
    assert advance(request.pk, worker_id="w", now=t0) == "nothing"
    with pytest.raises(InvalidState):
        cancel_request(request, actor="staff:hd", reason="again", now=t0)
    with pytest.raises(InvalidState):
        retry_request(request, actor="staff:hd", reason="no", now=t0)
    # The slot is free again.
    assert request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0).pk != request.pk


def test_cancelled_while_processing_discards_the_result(profile, alice, t0):
    from jitsuin.lifecycle import pipeline

    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    _, claimed = pipeline._claim(request.pk, worker_id="A", now=t0)
    cancel_request(request, actor="staff:hd", reason="wrong person", now=t0)
    from jitsuin.connectors.registry import connector_for

    result = connector_for("builtin").submit_issue(pipeline._order(claimed), now=t0)
    assert pipeline._finish(request.pk, "A", t0, result) == "lost_lease"
    assert Certificate.objects.count() == 0
    assert Request.objects.get(pk=request.pk).state == RequestState.CANCELLED


def test_slow_upstream_returns_a_reference_polled_until_ready(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    with chaos(delay=timedelta(hours=2)):
        assert advance(request.pk, worker_id="w", now=t0) == "pending"
        request.refresh_from_db()
        assert request.state == RequestState.PROCESSING
        assert request.connector_ref.startswith("builtin:issue:")
        assert request.not_before == t0 + timedelta(hours=2) and not request.lease_owner
        assert advance(request.pk, worker_id="w", now=t0 + timedelta(hours=1)) == "not_due"
        assert advance(request.pk, worker_id="w", now=t0 + timedelta(hours=2)) == "issued"
    request.refresh_from_db()
    assert request.state == RequestState.READY and request.attempts == 1
