"""The jobs layer's worker on its own, without the pipeline's hooks."""

from __future__ import annotations

import pytest

from jitsuin.jobs.models import WorkerHeartbeat
from jitsuin.jobs.worker import Worker


def test_the_heartbeat_names_the_worker_and_a_clean_exit_removes_it(db):
    worker = Worker(tick_every=0, worker_id="plain")
    worker.heartbeat()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["plain"]
    worker.sign_off()
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)  # run() closes its connections, as a worker does
def test_a_batch_run_with_nothing_queued_ends_and_signs_off():
    worker = Worker(batch=True, tick_every=0, interval=0, worker_id="plain")
    worker.run()
    assert worker.batch_has_work() is False
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ready_tasks_of_a_batched_function_are_claimed_and_ended_together():
    from django_tasks_db.models import DBTaskResult

    from jitsuin.lifecycle.tasks import process_request

    seen: list[list[int]] = []

    class Batching(Worker):
        batch_handlers = {process_request.module_path: lambda ids: seen.append(ids) or ids}

    for request_id in (11, 12, 13):
        process_request.enqueue(request_id)
    Batching(batch=True, tick_every=0, interval=0, worker_id="b", batch_size=10).run()
    assert [sorted(ids) for ids in seen] == [[11, 12, 13]]
    tasks = DBTaskResult.objects.all()
    assert {(t.status, t.return_value) for t in tasks} == {
        ("SUCCESSFUL", 11),
        ("SUCCESSFUL", 12),
        ("SUCCESSFUL", 13),
    }
    assert all(t.worker_ids == ["b"] for t in tasks)


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_handler_fails_ends_its_tasks_failed_and_the_worker_goes_on():
    from django_tasks_db.models import DBTaskResult

    from jitsuin.lifecycle.tasks import process_request

    def broken(ids: list[int]) -> list[int]:
        raise ValueError("broken batch")

    class Batching(Worker):
        batch_handlers = {process_request.module_path: broken}

    for request_id in (21, 22):
        process_request.enqueue(request_id)
    Batching(batch=True, tick_every=0, interval=0, worker_id="b", batch_size=10).run()
    tasks = DBTaskResult.objects.all()
    assert {t.status for t in tasks} == {"FAILED"}
    assert {t.exception_class_path for t in tasks} == {"builtins.ValueError"}
