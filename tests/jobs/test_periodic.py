"""The periodic scheduler: a job runs once per period however many workers tick."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.jobs import periodic
from jitsuin.jobs.models import PeriodicJob
from tests.lifecycle.conftest import T0


@pytest.fixture
def job_calls():
    calls = []
    periodic.register("test.job", timedelta(minutes=5), calls.append)
    yield calls
    periodic.unregister("test.job")


def test_the_scheduler_runs_the_registered_jobs_once_per_period(db):
    # What a worker's tick does (jobs.worker): every job of the schedule.
    now = timezone.now()
    ran = periodic.run_due(now)
    assert "lifecycle.sweep" in ran and "lifecycle.expire_pickups" in ran
    assert "lifecycle.sweep" not in periodic.run_due(now)  # not due again yet


def test_job_runs_when_due_and_not_again_within_its_period(db, job_calls):
    assert periodic.run_due(T0, names=["test.job"]) == ["test.job"]
    assert periodic.run_due(T0 + timedelta(minutes=4), names=["test.job"]) == []
    assert periodic.run_due(T0 + timedelta(minutes=5), names=["test.job"]) == ["test.job"]
    assert job_calls == [T0, T0 + timedelta(minutes=5)]
    row = PeriodicJob.objects.get(name="test.job")
    assert row.runs == 2 and row.next_run_at == T0 + timedelta(minutes=10)


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(db):
    def broken(now):
        raise RuntimeError("boom")

    calls = []
    periodic.register("test.broken", timedelta(minutes=1), broken)
    periodic.register("test.fine", timedelta(minutes=1), calls.append)
    try:
        ran = periodic.run_due(T0, names=["test.broken", "test.fine"])
    finally:
        periodic.unregister("test.broken")
        periodic.unregister("test.fine")
    assert ran == ["test.broken", "test.fine"] and calls == [T0]
    assert "boom" in PeriodicJob.objects.get(name="test.broken").last_error


def test_invalid_interval_is_refused():
    with pytest.raises(ValueError):
        periodic.register("test.bad", timedelta(0), print)


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_run_the_job_once(job_calls):
    from django.db import connection

    barrier = threading.Barrier(4)
    results = []

    def tick():
        barrier.wait()
        try:
            results.append(periodic.run_due(T0, names=["test.job"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(len, results)) == [0, 0, 0, 1]
    assert len(job_calls) == 1
