"""What staff do to a request that is not moving: cancel it, retry it, or ask the upstream again.

A request waiting at a slow upstream CA is ``processing`` with a connector reference and
``wait_reason`` ``upstream``; the pipeline polls it again at ``not_before``. Staff can make that
poll happen now (:func:`repoll_now`), or send the order to the upstream again as a new
submission (:func:`retry_request` on such a request; the old reference is kept in the audit
event). A failed request is retried from the queue with a fresh count of attempts.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.actors import USER
from jitsuin.audit.services import record
from jitsuin.lifecycle import notifications, transitions
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import WAIT_RETRY, WAIT_UPSTREAM, Request, RequestState

S = RequestState


def at_upstream(request: Request, now: datetime | None = None) -> bool:
    """Submitted to a slow upstream that is still working on it, and no worker asking now."""
    now = now or timezone.now()
    return (
        request.state == S.PROCESSING
        and request.wait_reason == WAIT_UPSTREAM
        and bool(request.connector_ref)
        and not (request.lease_until and request.lease_until > now)
    )


def can_retry(request: Request, now: datetime | None = None) -> bool:
    return request.state == S.FAILED or at_upstream(request, now)


def _reason_required(reason: str, message: str) -> None:
    if not reason:
        raise NotAllowed(message, code="reason_required")


def cancel_request(
    request: Request, *, actor: str, reason: str, now: datetime | None = None
) -> Request:
    """Cancel an open request (queued, waiting, failed; an issue also while processing).

    Cancelled by staff (not by its owner): the owner gets an e-mail with the reason.
    """
    _reason_required(reason, _("Give a reason for cancelling."))
    with transaction.atomic():
        row = transitions.transition(request, S.CANCELLED, actor=actor, now=now, note=reason)
        # Not parsed strictly: the owner is the one kind that hears of it another way.
        if actor.partition(":")[0] != USER and not row.silent:
            notifications.request_cancelled(row, reason)
        return row


def retry_request(
    request: Request, *, actor: str, reason: str, now: datetime | None = None
) -> Request:
    """A failed request back in the queue with a fresh count of attempts; a request held by
    the upstream is sent to it again (see the module docstring)."""
    _reason_required(reason, _("Give a reason for retrying."))
    now = now or timezone.now()
    with transaction.atomic():
        row = transitions.lock(request)
        if at_upstream(row, now):
            row = _resubmit(row, actor=actor, reason=reason, now=now)
        else:
            row = _requeue(row, actor=actor, reason=reason, now=now)
    if isinstance(request, Request) and request is not row:
        request.refresh_from_db()  # the caller's object shows the change, as transition() does
    return row


def _requeue(row: Request, *, actor: str, reason: str, now: datetime) -> Request:
    return transitions.transition(
        row,
        S.QUEUED,
        actor=actor,
        now=now,
        note=reason,
        locked=True,
        data={"previous_error": row.last_error[:500]},
        attempts=0,
        not_before=None,
        wait_reason="",
    )


def _resubmit(row: Request, *, actor: str, reason: str, now: datetime) -> Request:
    return transitions.transition(
        row,
        S.WAITING,
        actor=actor,
        now=now,
        note=reason,
        locked=True,
        data={"previous_ref": row.connector_ref, "resubmit": True},
        attempts=0,
        connector_ref="",
        not_before=now,
        wait_reason=WAIT_RETRY,
    )


def repoll_now(
    request: Request, *, actor: str, reason: str = "", now: datetime | None = None
) -> Request:
    """Ask the upstream about a submitted request at once instead of at its next poll."""
    now = now or timezone.now()
    with transaction.atomic():
        row = transitions.lock(request)
        if not at_upstream(row, now):
            raise InvalidState(
                _("This request is not waiting at the upstream CA."), code="not_at_upstream"
            )
        due = row.not_before
        row.not_before = now
        row.save(update_fields=["not_before"])
        record(
            f"request.{row.kind}.repolled",
            actor=actor,
            obj=row,
            at=now,
            data={
                "ref": row.connector_ref,
                "was_due": due.isoformat() if due else None,
                "reason": reason[:500],
            },
        )
        transitions.schedule(row.pk)
        return row


# A retry as the transition table records it: a failed or waiting request queued again, or one
# the upstream held sent again, by someone other than jitsuin itself (whose own moves, such as
# a maintenance window ending early, are not retries).
RETRY_TRANSITIONS = (
    Q(from_state__in=(S.FAILED, S.WAITING), to_state=S.QUEUED)
    | Q(from_state=S.PROCESSING, to_state=S.WAITING)
) & ~Q(actor__startswith="system")
