"""The worker's batches: queued issue requests claimed, signed and recorded together.

The same two short transactions as ``pipeline.advance`` (claim under a lease, then record the
result while the lease is still ours), each made once for the whole batch: one locking read,
one UPDATE, one history INSERT and one audit append per step, and the issued certificates'
rows, pickups, OCSP answers and e-mails written a kind at a time
(``certificates.record_issued_many``). Only the common case is batched: a queued issue
request due now, with nothing submitted upstream yet, no policy wait and no maintenance in
force; any other request, and any result but a certificate, takes ``pipeline.advance``'s
path one by one. Exactly once as before: every request in the batch is leased to this worker
and its result is recorded only while it still holds the lease.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from jitsuin.config import current
from jitsuin.connectors.base import Connector, Issued
from jitsuin.connectors.registry import connector_for
from jitsuin.lifecycle import pipeline, transitions
from jitsuin.lifecycle.certificates import record_issued_many
from jitsuin.lifecycle.models import WAIT_POLICY, Request, RequestKind, RequestState

logger = logging.getLogger("jitsuin.pipeline")
S = RequestState


def advance_many(
    request_ids: list[int], *, worker_id: str | None = None, now: datetime | None = None
) -> dict[int, str]:
    """``pipeline.advance`` for several requests; what happened to each (by id)."""
    worker_id = worker_id or pipeline.default_worker_id()
    now = now or timezone.now()
    claimed, connectors = _claim_many(request_ids, worker_id=worker_id, now=now)
    outcomes: dict[int, str] = {}
    issued: list[tuple[Request, Issued]] = []
    for request in claimed:
        connector = connectors[request.connector]
        result, outcome = pipeline.call_connector(request, connector, worker_id, now)
        if isinstance(result, Issued):
            issued.append((request, result))
        elif result is not None:
            outcomes[request.pk] = pipeline._finish(request, worker_id, now, result)
        else:
            outcomes[request.pk] = outcome
    if issued:
        outcomes.update(_finish_many(issued, worker_id=worker_id, now=now))
    for request_id in request_ids:  # the others, one by one
        if request_id not in outcomes:
            outcomes[request_id] = pipeline.advance(request_id, worker_id=worker_id, now=now)
    return outcomes


def _plain(request: Request, now: datetime, max_attempts: int) -> bool:
    """The case a batch takes: a queued issue request due now, nothing submitted upstream."""
    return (
        request.kind == RequestKind.ISSUE
        and request.state == S.QUEUED
        and not request.connector_ref
        and (request.not_before is None or request.not_before <= now)
        and request.wait_reason != WAIT_POLICY
        and request.attempts + 1 <= max_attempts
    )


def _claim_many(
    request_ids: list[int], *, worker_id: str, now: datetime
) -> tuple[list[Request], dict[str, Connector]]:
    """Lease the plain requests among ``request_ids`` to ``worker_id`` (one transaction), and
    the connector each will use (one per connector name: it may read its CA once)."""
    max_attempts = current().pipeline.max_attempts
    with transaction.atomic():
        # In id order, as _finish_many locks them: two workers never wait on each other crosswise.
        rows = (
            Request.objects.select_related("person", "profile")
            .filter(pk__in=request_ids)
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        else:
            rows = rows.select_for_update()
        plain = [r for r in rows if _plain(r, now, max_attempts)]
        connectors: dict[str, Connector] = {}
        for name in {r.connector for r in plain}:
            first = next(r for r in plain if r.connector == name)
            until, _reason = pipeline.maintenance_until(first, now)
            if until is None:  # in maintenance: one by one, each parked by advance()
                connectors[name] = connector_for(name)
        plain = [r for r in plain if r.connector in connectors]
        transitions.transition_many(
            plain,
            S.PROCESSING,
            actor=pipeline.SYSTEM,
            now=now,
            each={r.pk: {"attempts": r.attempts + 1} for r in plain},
            lease_owner=worker_id,
            lease_until=now + current().lease,
            wait_reason="",
            not_before=None,
        )
    return plain, connectors


def _finish_many(
    issued: list[tuple[Request, Issued]], *, worker_id: str, now: datetime
) -> dict[int, str]:
    """Record the certificates of the requests this worker still holds (one transaction)."""
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        fresh = {
            pk: (state, owner)
            for pk, state, owner in Request.objects.select_for_update()
            .filter(pk__in=[request.pk for request, _result in issued])
            .order_by("pk")
            .values_list("pk", "state", "lease_owner")
        }
        owned = []
        for request, result in issued:
            if fresh.get(request.pk) != (S.PROCESSING, worker_id):
                logger.warning(
                    "request %s: lease lost by %s; result discarded", request.pk, worker_id
                )
                outcomes[request.pk] = "lost_lease"
                continue
            owned.append((request, result))
        record_issued_many(owned, now, actor=pipeline.SYSTEM)
    outcomes.update({request.pk: "issued" for request, _result in owned})
    return outcomes
