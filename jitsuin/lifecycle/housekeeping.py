"""Periodic work of the pipeline: expire pickups, revoke superseded certificates, sweep.

Each function takes ``now`` and is safe to run twice or from two workers at once: it
locks each row and re-checks it, and the revocations it asks for are idempotent by key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jitsuin.audit.actors import Actor
from jitsuin.config import current
from jitsuin.jobs.models import WorkerHeartbeat
from jitsuin.lifecycle import notifications, overlap, pickups, transitions
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.health import NO_HEARTBEAT_AFTER
from jitsuin.lifecycle.maintenance import active_window
from jitsuin.lifecycle.models import (
    WAIT_MAINTENANCE,
    WAIT_POLICY,
    CertificateStatus,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.services import request_revoke
from jitsuin.lifecycle.tasks import enqueue_processing

logger = logging.getLogger("jitsuin.housekeeping")
SYSTEM = str(Actor.system())
# A request untouched for one lease (JITSUIN_LEASE) with no worker on it is re-enqueued (its
# task was lost): stale_after(). A worker silent (no heartbeat) this long, and at least one
# lease, is dead: its RUNNING task rows are reaped and their requests re-enqueued.
WORKER_DEAD_AFTER = NO_HEARTBEAT_AFTER
SWEEP_BATCH = 500
# With this many tasks already waiting, workers are busy rather than lost.
BACKLOG = 1000


def expire_pickups(now: datetime) -> int:
    """Destroy PKCS#12 files whose window ended; revoke what was never collected."""
    done = 0
    due = Pickup.objects.filter(
        state__in=[PickupState.READY, PickupState.COLLECTED], expires_at__lte=now
    ).values_list("pk", flat=True)
    for pickup_id in list(due[:SWEEP_BATCH]):
        with transaction.atomic():
            pickup = (
                Pickup.objects.select_for_update(of=("self",))
                .select_related("certificate", "request")
                .get(pk=pickup_id)
            )
            if pickup.state == PickupState.DESTROYED or pickup.expires_at > now:
                continue
            uncollected = pickup.download_count == 0
            pickups.destroy(pickup, actor=SYSTEM, now=now)
            request = pickup.request
            if request is None:  # a key recovery's pickup: the key stays archived
                done += 1
                continue
            if request.state == RequestState.READY:
                expired = transitions.transition(
                    request,
                    RequestState.EXPIRED,
                    actor=SYSTEM,
                    now=now,
                    note="not collected in time",
                )
                notifications.pickup_expired(expired)
            certificate = pickup.certificate
            if (
                uncollected
                and certificate.status == CertificateStatus.VALID
                and certificate.not_after > now
            ):
                request_revoke(
                    certificate,
                    actor=SYSTEM,
                    idempotency_key=f"pickup-expired:{pickup.pk}",
                    reason="cessationOfOperation",
                    # The pickup-expired e-mail above is all the person hears of it.
                    silent=True,
                    now=now,
                )
            done += 1
    return done


def revoke_superseded(now: datetime) -> int:
    """Overlap: revoke old certificates whose ``overlap.revoke_date`` has come.

    An OCSP sighting alone never revokes: the grace runs from the new certificate's first
    use (see lifecycle.overlap); a campaign deadline can come first.
    """
    asked = 0
    for certificate in overlap.due(now).select_related("person")[:SWEEP_BATCH]:
        try:
            request_revoke(
                certificate,
                actor=str(Actor.system("overlap")),
                idempotency_key=f"superseded:{certificate.pk}",
                reason="superseded",
                now=now,
            )
            asked += 1
        except LifecycleError as exc:
            logger.info("certificate %s not revoked as superseded: %s", certificate.pk, exc)
    return asked


def release_early_maintenance(now: datetime) -> int:
    """Requests held for a window that was cancelled or shortened go back to the queue."""
    released = 0
    for kind in (RequestKind.ISSUE, RequestKind.REVOKE):
        held = Request.objects.filter(
            kind=kind, state=RequestState.WAITING, wait_reason=WAIT_MAINTENANCE, not_before__gt=now
        )
        for request in held.only("pk", "connector")[:SWEEP_BATCH]:
            if active_window(kind, now, connector=request.connector) is not None:
                continue
            with transaction.atomic():
                try:
                    transitions.transition(
                        request.pk,
                        RequestState.QUEUED,
                        actor=SYSTEM,
                        now=now,
                        note="the maintenance window ended early",
                        not_before=None,
                        wait_reason="",
                    )
                    released += 1
                except LifecycleError:
                    continue  # changed meanwhile
    return released


def stale_after() -> timedelta:
    """A request with no lease untouched this long has lost its task: one lease."""
    return current().lease


def reap_dead_workers(now: datetime) -> int:
    """Task rows left RUNNING by a worker that stopped sending heartbeats (killed): mark
    them failed and re-enqueue their requests at once, without waiting for the stale rule."""
    silence = max(WORKER_DEAD_AFTER, current().lease)
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - silence).values_list(
            "worker_id", flat=True
        )
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lte=now - silence
    ).only("id", "worker_ids", "task_path", "args_kwargs")
    reaped = 0
    for row in running[:SWEEP_BATCH]:
        owner = row.worker_ids[-1] if row.worker_ids else ""
        if owner in alive:
            continue
        changed = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="jitsuin.lifecycle.housekeeping.WorkerDied",
            traceback=f"worker {owner or '?'} stopped sending heartbeats; task reaped",
        )
        if not changed:
            continue
        reaped += 1
        args = (row.args_kwargs or {}).get("args") or []
        if row.task_path.endswith(("process_request", "poll_request")) and args:
            enqueue_processing(int(args[0]))
    WorkerHeartbeat.objects.filter(seen_at__lt=now - max(silence, timedelta(hours=1))).delete()
    if reaped:
        logger.warning("reaped %s task(s) of dead workers", reaped)
    return reaped


def sweep(now: datetime) -> int:
    """Re-enqueue requests whose worker died (lease expired) or whose task was lost."""
    release_early_maintenance(now)
    reap_dead_workers(now)
    stale_since = now - stale_after()
    workable = Request.objects.filter(state__in=transitions.WORKABLE).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    dead = workable.filter(state=RequestState.PROCESSING, lease_until__lt=now)
    ids = list(dead.values_list("pk", flat=True)[:SWEEP_BATCH])
    backlog = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, queue_name="pipeline"
    ).count()
    if backlog < BACKLOG:
        stale = workable.filter(lease_until__isnull=True, state_changed_at__lte=stale_since)
        stale = stale.exclude(
            state=RequestState.WAITING, wait_reason=WAIT_POLICY, not_before__isnull=True
        )
        ids += list(stale.values_list("pk", flat=True)[:SWEEP_BATCH])
        # Due waiting requests (maintenance over, backoff over) whose timed task was lost.
        due = workable.filter(state=RequestState.WAITING, not_before__lte=stale_since)
        ids += list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        ids += _policy_waits_to_wake(now)
    for request_id in dict.fromkeys(ids):
        enqueue_processing(request_id)
    return len(set(ids))


def _policy_waits_to_wake(now: datetime) -> list[int]:
    """revoke-first requests whose revocation is over (done or cancelled) but still waiting."""
    waiting = Request.objects.filter(
        kind=RequestKind.ISSUE,
        state=RequestState.WAITING,
        wait_reason=WAIT_POLICY,
        state_changed_at__lte=now - stale_after(),
    )
    still_revoking = Request.objects.open_revocations().filter(target=OuterRef("target"))
    return list(waiting.exclude(Exists(still_revoking)).values_list("pk", flat=True)[:SWEEP_BATCH])
