"""The worker's batches (lifecycle.pipeline_batch): the plain requests together, the others one
by one, and each recorded only while this worker still holds its lease."""

from __future__ import annotations

from datetime import timedelta

from jitsuin.audit.services import verify
from jitsuin.lifecycle import pipeline, pipeline_batch
from jitsuin.lifecycle.models import (
    Certificate,
    MaintenanceWindow,
    Request,
    RequestState,
    RequestTransition,
)
from jitsuin.lifecycle.services import request_issue, request_revoke
from tests.lifecycle.conftest import key, make_person, run_pipeline


def test_a_batch_issues_each_request_once_with_its_history(profile, t0):
    requests = [
        request_issue(make_person(f"b{i}"), actor="test", idempotency_key=key(), now=t0)
        for i in range(4)
    ]
    outcomes = pipeline_batch.advance_many([r.pk for r in requests], worker_id="w", now=t0)
    assert outcomes == {r.pk: "issued" for r in requests}
    for request in requests:
        request.refresh_from_db()
        assert request.state == RequestState.READY and request.attempts == 1
        assert request.certificate.person_id == request.person_id
        steps = RequestTransition.objects.filter(request=request).order_by("pk")
        assert [s.to_state for s in steps] == ["queued", "processing", "ready"]
    # Again: nothing left to do, nothing made twice.
    again = pipeline_batch.advance_many([r.pk for r in requests], worker_id="w", now=t0)
    assert set(again.values()) == {"nothing"}
    assert Certificate.objects.count() == 4
    assert verify() is None


def test_a_batch_takes_the_plain_requests_and_leaves_the_rest_to_advance(profile, t0):
    first = request_issue(make_person("alice"), actor="test", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    first.refresh_from_db()
    revoke = request_revoke(first.certificate, actor="test", idempotency_key=key(), now=t0)
    issue = request_issue(make_person("bob"), actor="test", idempotency_key=key(), now=t0)
    outcomes = pipeline_batch.advance_many([revoke.pk, issue.pk], worker_id="w", now=t0)
    assert outcomes == {revoke.pk: "revoked", issue.pk: "issued"}


def test_in_maintenance_the_batch_leaves_each_request_to_wait(profile, t0):
    request = request_issue(make_person("carol"), actor="test", idempotency_key=key(), now=t0)
    MaintenanceWindow.objects.create(starts_at=t0, ends_at=t0 + timedelta(hours=1))
    later = t0 + timedelta(minutes=1)
    assert pipeline_batch.advance_many([request.pk], worker_id="w", now=later) == {
        request.pk: "maintenance"
    }
    request.refresh_from_db()
    assert request.state == RequestState.WAITING and request.not_before == t0 + timedelta(hours=1)


def test_a_request_taken_over_meanwhile_is_not_recorded_by_the_batch(profile, t0):
    requests = [
        request_issue(make_person(f"l{i}"), actor="test", idempotency_key=key(), now=t0)
        for i in range(3)
    ]
    claimed, connectors = pipeline_batch._claim_many(
        [r.pk for r in requests], worker_id="A", now=t0
    )
    assert [r.pk for r in claimed] == [r.pk for r in requests]
    # Worker A hung past its lease; B took the first request over.
    Request.objects.filter(pk=requests[0].pk).update(lease_owner="B")
    issued = [
        (r, connectors[r.connector].submit_issue(pipeline._order(r), now=t0)) for r in claimed
    ]
    outcomes = pipeline_batch._finish_many(issued, worker_id="A", now=t0)
    assert outcomes == {
        requests[0].pk: "lost_lease",
        requests[1].pk: "issued",
        requests[2].pk: "issued",
    }
    assert Certificate.objects.count() == 2
    assert Request.objects.get(pk=requests[0].pk).state == RequestState.PROCESSING
