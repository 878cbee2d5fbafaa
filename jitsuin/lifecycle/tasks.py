"""Background tasks (Django Tasks API, database backend). Each takes one small argument.

Tasks may run more than once (a sweep re-enqueues, two workers race): every task body is
idempotent because the services lock the row and re-check its state and lease.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from jitsuin.jobs.enqueue import enqueue_in_transaction
from jitsuin.lifecycle import leavers, pipeline, pipeline_batch

logger = logging.getLogger("jitsuin.tasks")
PIPELINE_QUEUE = "pipeline"


BUSY_RETRY = timedelta(seconds=2)


def _advance(request_id: int) -> str:
    outcome = pipeline.advance(request_id)
    if outcome == "busy":  # its row was locked for a moment (SKIP LOCKED): come back soon
        poll_request.using(run_after=timezone.now() + BUSY_RETRY).enqueue(request_id)
    return outcome


def advance_batch(request_ids: list[int]) -> list[str]:
    """``process_request`` for a batch of tasks claimed together (the worker's batch handler):
    what happened to each request, in order."""
    outcomes = pipeline_batch.advance_many(request_ids)
    for request_id, outcome in outcomes.items():
        if outcome == "busy":
            poll_request.using(run_after=timezone.now() + BUSY_RETRY).enqueue(request_id)
    return [outcomes[request_id] for request_id in request_ids]


@task(queue_name=PIPELINE_QUEUE)
def process_request(request_id: int) -> str:
    """Claim the request, call its connector, record the result."""
    return _advance(request_id)


@task(queue_name=PIPELINE_QUEUE)
def poll_request(request_id: int) -> str:
    """Ask a slow connector again about a submitted request."""
    return _advance(request_id)


def enqueue_processing(request_id: int, *, at: datetime | None = None) -> None:
    """Queue ``process_request`` now or at ``at`` (called on commit by the services)."""
    if at is not None and at > timezone.now():
        poll_request.using(run_after=at).enqueue(request_id)
    else:
        process_request.enqueue(request_id)


def enqueue_processing_now(request_ids: list[int]) -> None:
    """Queue ``process_request`` for new requests inside the transaction that made them (one
    INSERT for all; one commit per click or batch instead of one more per task)."""
    enqueue_in_transaction(process_request, [(request_id,) for request_id in request_ids])


@task(queue_name=PIPELINE_QUEUE)
def finish_leaver(leaver_id: int) -> bool:
    """A leaver's grace ended: revoke, wipe, cancel, e-mail (lifecycle.leavers.finish)."""
    return leavers.finish(leaver_id)


def enqueue_leaver(leaver_id: int, *, at: datetime | None = None) -> None:
    """Queue ``finish_leaver`` for when the grace ends (the periodic sweep catches a lost one)."""
    if at is not None and at > timezone.now():
        finish_leaver.using(run_after=at).enqueue(leaver_id)
    else:
        finish_leaver.enqueue(leaver_id)
