"""The worker side of a request: claim it under a lease, call the connector, record the result.

Exactly once: the claim and the result are two short transactions on the locked row. A
worker records a result only while it still owns the lease and the request is still
``processing``; a worker killed mid-call leaves a lease that expires, after which the sweep
hands the request to another worker. ``Request.certificate`` is one-to-one, so even a
confused worker cannot attach a second certificate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.connectors.base import (
    Connector,
    ConnectorError,
    ConnectorRejected,
    Issued,
    IssueOrder,
    LocalFault,
    Pending,
    Revoked,
    RevokeOrder,
)
from jitsuin.connectors.registry import connector_for
from jitsuin.dbfaults import in_one_line
from jitsuin.lifecycle import transitions
from jitsuin.lifecycle.certificates import record_issued, record_revocation
from jitsuin.lifecycle.maintenance import active_window, windows_at
from jitsuin.lifecycle.models import (
    WAIT_MAINTENANCE,
    WAIT_POLICY,
    WAIT_RETRY,
    WAIT_UPSTREAM,
    WAIT_UPSTREAM_MAINTENANCE,
    CertificateStatus,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.pki.names import person_subject

logger = logging.getLogger("jitsuin.pipeline")
SYSTEM = str(Actor.system("worker"))
S = RequestState


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at an hour (with the default settings)."""
    s = current().pipeline
    return min(s.retry_base * (2 ** min(max(attempts - 1, 0), 30)), s.retry_max)


_current = threading.local()


def set_worker_id(worker_id: str) -> None:
    """Name the worker running in this thread; its leases carry the name."""
    _current.worker_id = worker_id


def default_worker_id() -> str:
    named = getattr(_current, "worker_id", "")
    return named or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def _lock_for_work(request_id: int) -> Request | None:
    # .get() rather than .first(): no ORDER BY to add, a noticeably cheaper query to build.
    # ``target`` is loaded when used (revocations, revoke-first), not joined every time.
    rows = Request.objects.select_related("person", "profile")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    else:
        rows = rows.select_for_update()
    try:
        return rows.get(pk=request_id)
    except Request.DoesNotExist:
        return None


def _order(request: Request) -> IssueOrder | RevokeOrder:
    if request.kind == RequestKind.ISSUE:
        person, profile = request.person, request.profile
        organisation = current().organization
        return IssueOrder(
            request_id=request.pk,
            subject=person_subject(
                common_name=person.name_en or person.uid, uid=person.uid, organization=organisation
            ),
            email=person.email,
            template=profile.template,
            validity=profile.validity,
            key_spec=profile.key_spec,
            csr_pem=request.csr_pem,
            attempt=request.attempts,
            holder_name=person.name_ja or person.name_en or person.uid,
        )
    target = request.target
    assert target is not None
    return RevokeOrder(
        request_id=request.pk,
        serial=target.serial_int,
        issuer_fingerprint=target.issuer.fingerprint_sha256,
        reason=request.reason or "unspecified",
        attempt=request.attempts,
    )


def _claim(request_id: int, *, worker_id: str, now: datetime) -> tuple[str, Request | None]:
    """Take the lease on a request that has work to do; the outcome says why not."""
    with transaction.atomic():
        request = _lock_for_work(request_id)
        if request is None:
            return "busy", None
        if request.state not in transitions.WORKABLE:
            return "nothing", None
        if request.state == S.PROCESSING and request.lease_until and request.lease_until > now:
            return "leased", None
        if request.not_before and request.not_before > now:
            return "not_due", None
        until, reason = maintenance_until(request, now)
        if until is not None:
            _wait(
                request,
                now,
                until=until,
                reason=reason,
                note=f"maintenance until {until.isoformat()}",
            )
            return "maintenance", None
        if request.kind == RequestKind.ISSUE and request.wait_reason == WAIT_POLICY:
            outcome = _policy_gate(request, now)
            if outcome:
                return outcome, None
        taking_over = request.state == S.PROCESSING and bool(request.lease_owner)
        calls_connector = not request.connector_ref
        attempts = request.attempts + (1 if calls_connector or taking_over else 0)
        if attempts > current().pipeline.max_attempts:
            _give_up(
                request,
                now,
                note="too many attempts",
                error=request.last_error or "the upstream did not answer in time",
            )
            return "failed", None
        lease = {
            "lease_owner": worker_id,
            "lease_until": now + current().lease,
            "attempts": attempts,
        }
        if request.state == S.PROCESSING:
            if taking_over:
                record(
                    f"request.{request.kind}.lease_taken_over",
                    actor=SYSTEM,
                    obj=request,
                    at=now,
                    data={"from": request.lease_owner, "to": worker_id, "attempt": attempts},
                )
            for field, value in lease.items():
                setattr(request, field, value)
            request.wait_reason = ""
            request.save(update_fields=[*lease, "wait_reason"])
        else:
            request = transitions.transition(
                request,
                S.PROCESSING,
                actor=SYSTEM,
                now=now,
                locked=True,
                wait_reason="",
                not_before=None,
                **lease,
            )
        return "claimed", request


def _wait(
    request: Request, now: datetime, *, until: datetime, reason: str, note: str, **changes: object
) -> None:
    """Park the locked ``request`` in ``waiting`` until ``until``; the transition schedules it.
    One waiting already (a maintenance extended) gets the later time, not a new state."""
    if request.state == S.WAITING:
        request.not_before, request.wait_reason = until, reason
        request.save(update_fields=["not_before", "wait_reason"])
        transitions.schedule(request.pk, until)
        return
    transitions.transition(
        request, S.WAITING, actor=SYSTEM, now=now, locked=True, note=note, not_before=until,
        wait_reason=reason, **changes,
    )  # fmt: skip


def _give_up(request: Request, now: datetime, *, note: str, error: str) -> None:
    """Fail the locked ``request`` for good, showing ``error``."""
    transitions.transition(
        request, S.FAILED, actor=SYSTEM, now=now, locked=True, note=note, last_error=error
    )


def maintenance_until(request: Request, now: datetime) -> tuple[datetime | None, str]:
    """The end of the maintenance in force, ours (a MaintenanceWindow) or the upstream's."""
    window = None
    if windows_at(request.kind, now, connector=request.connector).values_list("pk")[:1]:
        window = active_window(request.kind, now, connector=request.connector)
    upstream = connector_for(request.connector).in_maintenance(now)
    if upstream is not None and (window is None or upstream.until > window.ends_at):
        return upstream.until, WAIT_UPSTREAM_MAINTENANCE
    return (window.ends_at, WAIT_MAINTENANCE) if window is not None else (None, "")


def _policy_gate(request: Request, now: datetime) -> str:
    """revoke-first: hold the issue request until the certificate it replaces is revoked."""
    target = request.target
    if target is None or target.status == CertificateStatus.REVOKED or target.not_after <= now:
        return ""
    # A failed revocation is still open: the helpdesk may retry it, so keep waiting.
    if Request.objects.open_revocations().filter(target=target).exists():
        return "policy_wait"
    _give_up(
        request,
        now,
        note="the revocation this request waited for was cancelled",
        error="the revocation of the certificate to replace was cancelled or failed",
    )
    return "failed"


def advance(request_id: int, *, worker_id: str | None = None, now: datetime | None = None) -> str:
    """Do the next step of a request; returns what happened (for logs and tests)."""
    worker_id = worker_id or default_worker_id()
    now = now or timezone.now()
    outcome, request = _claim(request_id, worker_id=worker_id, now=now)
    if request is None:
        return outcome
    result, outcome = call_connector(request, connector_for(request.connector), worker_id, now)
    if result is None:
        return outcome
    return _finish(request, worker_id, now, result)


def call_connector(
    request: Request, connector: Connector, worker_id: str, now: datetime
) -> tuple[object | None, str]:
    """Ask ``connector`` about the claimed ``request`` (outside any transaction): its result,
    or None and the outcome once a failure is recorded on the request."""
    order = _order(request)
    try:
        if request.connector_ref:
            return connector.poll(request.connector_ref, order, now=now), ""
        if isinstance(order, IssueOrder):
            return connector.submit_issue(order, now=now), ""
        return connector.submit_revoke(order, now=now), ""
    except LocalFault as exc:
        return None, _release_local_fault(request, worker_id, now, str(exc))
    except ConnectorRejected as exc:
        return None, _fail(request, worker_id, now, str(exc), permanent=True)
    except ConnectorError as exc:
        return None, _fail(request, worker_id, now, str(exc), permanent=False)
    except Exception as exc:  # an unexpected error is retried like an outage, and shown
        if isinstance(exc, OperationalError | InterfaceError):  # our database, not a bug
            logger.warning("request %s: database unavailable: %s", request.pk, in_one_line(exc))
        else:
            logger.exception("request %s: connector error", request.pk)
        return None, _fail(request, worker_id, now, f"{type(exc).__name__}: {exc}", permanent=False)


def _owned(request: Request | int, worker_id: str) -> Request | None:
    """The request locked again for its result, if this worker still holds its lease.

    Given the row claimed in this process, only the fields other parties may change while
    it is processing (state, lease, attempts, connector reference) are read back; the rest
    (person, profile, target, order) is fixed once claimed.
    """
    if isinstance(request, int):
        request = transitions.lock(request)
    else:
        fresh = list(
            Request.objects.select_for_update()
            .filter(pk=request.pk)
            .values_list("state", "lease_owner", "lease_until", "attempts", "connector_ref")[:1]
        )
        if not fresh:
            return None
        (
            request.state,
            request.lease_owner,
            request.lease_until,
            request.attempts,
            request.connector_ref,
        ) = fresh[0]
    if request.state != S.PROCESSING or request.lease_owner != worker_id:
        logger.warning("request %s: lease lost by %s; result discarded", request.pk, worker_id)
        return None
    return request


def _fail(
    claimed: Request | int, worker_id: str, now: datetime, error: str, *, permanent: bool
) -> str:
    with transaction.atomic():
        request = _owned(claimed, worker_id)
        if request is None:
            return "lost_lease"
        if permanent or request.attempts >= current().pipeline.max_attempts:
            _give_up(request, now, note=error[:500], error=error)
            return "failed"
        retry_at = now + backoff(request.attempts)
        _wait(
            request,
            now,
            until=retry_at,
            reason=WAIT_RETRY,
            note=f"attempt {request.attempts} failed; retry at {retry_at.isoformat()}",
            last_error=error,
        )
        return "retry"


# A request released by a worker that cannot open its keys waits this long for another.
LOCAL_FAULT_RETRY = timedelta(seconds=30)


def _release_local_fault(claimed: Request | int, worker_id: str, now: datetime, error: str) -> str:
    """This worker cannot do the work (its CA key does not open): give the request back,
    attempt not counted, and raise the alarm. Never a failure of the user's request."""
    logger.error("worker %s cannot work (request %s released): %s", worker_id, claimed, error)
    with transaction.atomic():
        request = _owned(claimed, worker_id)
        if request is None:
            return "lost_lease"
        request.attempts = max(request.attempts - 1, 0)
        retry_at = now + LOCAL_FAULT_RETRY
        _wait(
            request,
            now,
            until=retry_at,
            reason=WAIT_RETRY,
            note=f"worker {worker_id} could not open its CA key; released",
            last_error=error,
            attempts=request.attempts,
        )
    return "released"


def _finish(claimed: Request | int, worker_id: str, now: datetime, result: object) -> str:
    """Record the connector's result on the request ``claimed`` (the row _claim returned,
    or its id)."""
    with transaction.atomic():
        request = _owned(claimed, worker_id)
        if request is None:
            return "lost_lease"
        if isinstance(result, Pending):
            first = not request.connector_ref
            request.connector_ref = result.ref
            request.not_before = result.retry_at
            request.wait_reason = WAIT_UPSTREAM
            request.lease_owner, request.lease_until = "", None
            request.save(
                update_fields=[
                    "connector_ref",
                    "not_before",
                    "wait_reason",
                    "lease_owner",
                    "lease_until",
                ]
            )
            if first:
                record(
                    f"request.{request.kind}.submitted",
                    actor=SYSTEM,
                    obj=request,
                    at=now,
                    data={"ref": result.ref, "retry_at": result.retry_at.isoformat()},
                )
            transitions.schedule(request.pk, result.retry_at)
            return "pending"
        if isinstance(result, Issued):
            record_issued(request, result, now, actor=SYSTEM)
            return "issued"
        if isinstance(result, Revoked):
            record_revocation(request, result, now, actor=SYSTEM)
            return "revoked"
        raise TypeError(f"unexpected connector result {result!r}")
