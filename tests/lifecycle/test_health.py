"""/healthz says when no worker runs or requests are stuck."""

from __future__ import annotations

from datetime import timedelta

from jitsuin.jobs import periodic
from jitsuin.jobs.models import WorkerHeartbeat
from jitsuin.lifecycle.health import pipeline_health
from jitsuin.lifecycle.services import request_issue
from tests.lifecycle.conftest import key


def test_no_worker_is_degraded_until_the_scheduler_runs(profile, alice, t0):
    status, detail = pipeline_health(t0)
    assert status == "degraded" and "jitsuin worker" in detail["problems"][0]
    periodic.run_due(t0, names=["lifecycle.sweep"])
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=t0, seen_at=t0 + timedelta(minutes=1))
    assert pipeline_health(t0 + timedelta(minutes=1))[0] == "ok"
    assert pipeline_health(t0 + timedelta(minutes=6))[0] == "degraded"


def test_a_worker_silent_for_a_minute_degrades_health(profile, alice, t0):
    periodic.run_due(t0, names=["lifecycle.sweep"])
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=t0, seen_at=t0)
    assert pipeline_health(t0 + timedelta(seconds=30))[0] == "ok"
    status, detail = pipeline_health(t0 + timedelta(seconds=60))
    assert status == "degraded" and "heartbeat" in " ".join(detail["problems"])


def test_an_old_queue_is_degraded(profile, alice, t0):
    request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    later = t0 + timedelta(hours=2)
    periodic.run_due(later, names=["lifecycle.sweep"])
    status, detail = pipeline_health(later)
    assert status == "degraded" and detail["oldest_queued"]


def test_healthz_includes_the_pipeline(client, db):
    body = client.get("/healthz").json()
    assert body["checks"]["pipeline"]["status"] in {"ok", "degraded"}
