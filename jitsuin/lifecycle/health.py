"""/healthz check of the pipeline: is a worker running, is anything stuck?"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from jitsuin.jobs.models import PeriodicJob, WorkerHeartbeat
from jitsuin.lifecycle.models import Request, RequestState

# Without a worker the sweep stops running: that is the first thing to notice.
WORKER_SILENT_AFTER = timedelta(minutes=5)
# Workers write a heartbeat every 10 s: none for this long means no worker is running
# (killed, or its thread died), within a minute.
NO_HEARTBEAT_AFTER = timedelta(seconds=45)
# A request queued (not waiting for a reason) this long means the workers cannot keep up.
QUEUE_TOO_OLD = timedelta(hours=1)


def pipeline_health(now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    now = now or timezone.now()
    detail: dict[str, Any] = {}
    problems = []
    sweep = PeriodicJob.objects.filter(name="lifecycle.sweep").first()
    detail["scheduler_last_run"] = (
        sweep.last_run_at.isoformat() if sweep and sweep.last_run_at else None
    )
    if sweep is None or sweep.last_run_at is None or now - sweep.last_run_at > WORKER_SILENT_AFTER:
        problems.append("no worker has run the scheduler recently (start `jitsuin worker`)")
    beats = WorkerHeartbeat.objects.aggregate(
        last=Max("seen_at"), alive=Count("pk", filter=Q(seen_at__gte=now - NO_HEARTBEAT_AFTER))
    )
    detail["worker_last_seen"] = beats["last"].isoformat() if beats["last"] else None
    detail["workers_alive"] = beats["alive"]
    if not beats["alive"]:
        problems.append(
            f"no worker has sent a heartbeat in the last {NO_HEARTBEAT_AFTER.seconds} s"
            " (start `jitsuin worker`)"
        )
    oldest = Request.objects.filter(state=RequestState.QUEUED).aggregate(
        at=Min("state_changed_at")
    )["at"]
    detail["oldest_queued"] = oldest.isoformat() if oldest else None
    if oldest is not None and now - oldest > QUEUE_TOO_OLD:
        problems.append("requests have been queued for over an hour")
    detail["failed"] = Request.objects.filter(state=RequestState.FAILED).count()
    detail["waiting"] = Request.objects.filter(state=RequestState.WAITING).count()
    if problems:
        detail["problems"] = problems
        return "degraded", detail
    return "ok", detail
