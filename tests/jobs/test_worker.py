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
