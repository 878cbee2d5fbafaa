"""Tasks through django-tasks-db: enqueued on commit, run by the worker, swept when lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jitsuin.lifecycle.housekeeping import sweep
from jitsuin.lifecycle.models import Certificate, Request, RequestKind, RequestState, RolloverPolicy
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.lifecycle.services import cancel_request, request_issue, request_revoke
from tests.chaos.connector import chaos
from tests.lifecycle.conftest import key, run_pipeline


def pipeline_tasks():
    return DBTaskResult.objects.filter(queue_name="pipeline", status=TaskResultStatus.READY)


def run_worker() -> None:
    """The worker's own claim-and-run steps (its loop closes connections, which a test's
    transaction cannot survive)."""
    worker = PipelineWorker(queue_names=["pipeline"], interval=0, tick_every=0, batch=True)
    while (task_result := worker.next_task()) is not None:
        worker.run_task(task_result)


def test_request_is_enqueued_on_commit_and_processed_by_the_worker(
    profile, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = request_issue(alice, actor="user:alice", idempotency_key=key())
    assert pipeline_tasks().count() == 1
    run_worker()
    request.refresh_from_db()
    assert request.state == RequestState.READY
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1


def test_nothing_is_enqueued_when_the_transaction_rolls_back(profile, alice):
    from django.db import transaction

    class Abort(Exception):
        pass

    try:
        with transaction.atomic():
            request_issue(alice, actor="user:alice", idempotency_key=key())
            raise Abort
    except Abort:
        pass
    assert Request.objects.count() == 0 and pipeline_tasks().count() == 0


def test_a_slow_upstream_is_polled_by_a_delayed_task(
    profile, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = request_issue(alice, actor="user:alice", idempotency_key=key())
    with chaos(delay=timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        run_worker()
    poll = pipeline_tasks().get()
    assert poll.task_path.endswith("poll_request")
    assert poll.run_after > timezone.now() + timedelta(minutes=59)
    request.refresh_from_db()
    assert request.state == RequestState.PROCESSING and request.connector_ref


def test_sweep_re_enqueues_a_request_whose_task_was_lost(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    # The task row is written in the request's own transaction (jobs.enqueue): lose it.
    assert pipeline_tasks().count() == 1
    pipeline_tasks().delete()
    assert sweep(t0 + timedelta(minutes=1)) == 0
    assert sweep(t0 + timedelta(minutes=6)) == 1
    assert pipeline_tasks().count() == 1
    run_worker()
    request.refresh_from_db()
    assert request.state == RequestState.READY


def _revoke_first_with_waiting_issue(profile, alice, t0):
    from jitsuin.lifecycle.models import Pickup
    from jitsuin.lifecycle.services import collect_pickup

    profile.rollover_policy = RolloverPolicy.REVOKE_FIRST
    profile.save()
    first = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    run_pipeline(t0)
    collect_pickup(Pickup.objects.get(request=first), actor="user:alice", now=t0)
    old = Certificate.objects.get()
    revoke = request_revoke(old, actor="user:alice", idempotency_key=key(), now=t0)
    issue = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    return revoke, issue


def test_revoke_first_waits_through_a_failed_revocation(profile, alice, t0):
    revoke, issue = _revoke_first_with_waiting_issue(profile, alice, t0)
    with chaos(fail="reject"):
        run_pipeline(t0)
    revoke.refresh_from_db()
    issue.refresh_from_db()
    assert revoke.state == RequestState.FAILED
    assert issue.state == RequestState.WAITING  # the helpdesk may still retry the revocation


def test_revoke_first_issue_fails_when_its_revocation_is_cancelled(profile, alice, t0):
    revoke, issue = _revoke_first_with_waiting_issue(profile, alice, t0)
    cancel_request(revoke, actor="user:alice", reason="changed my mind", now=t0)
    later = t0 + timedelta(minutes=6)
    assert sweep(later) >= 1  # the sweep notices the wait is over
    run_pipeline(later)
    issue.refresh_from_db()
    assert issue.state == RequestState.FAILED and "cancelled" in issue.last_error
    assert Request.objects.filter(kind=RequestKind.ISSUE, state=RequestState.READY).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_task_that_finds_the_row_locked_comes_back_soon(ca_hierarchy):
    """PostgreSQL: SKIP LOCKED passes over a row locked elsewhere; the task re-enqueues."""
    import threading

    from django.db import connection, transaction

    from jitsuin.lifecycle.tasks import process_request
    from tests.lifecycle.conftest import make_person

    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key())
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            Request.objects.select_for_update().get(pk=request.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(10)
    try:
        assert process_request.call(request.pk) == "busy"
    finally:
        release.set()
        holder.join()
    retry = DBTaskResult.objects.filter(
        task_path__endswith="poll_request", status=TaskResultStatus.READY
    ).get()
    assert retry.args_kwargs["args"] == [request.pk]
