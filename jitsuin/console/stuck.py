"""The stuck queue as a work queue: claim a request, release it, snooze it with a note.

Each change locks the request's ``StuckClaim`` row and writes an audit event on the request,
so the request's audit trail shows who handled it. Claiming a request someone else holds is
refused with their name; ``take_over=True`` is the explicit, audited way to take it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.console.models import StuckClaim
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import Request

NOTE_MAX = 500


def _locked(request: Request) -> StuckClaim:
    """The request's claim row, made if missing, locked for this transaction."""
    Request.objects.select_for_update().filter(pk=request.pk).values_list("pk").get()
    claim, _created = StuckClaim.objects.select_for_update().get_or_create(request=request)
    return claim


def _holder_name(actor: str) -> str:
    return actor.partition(":")[2] or actor


def claim(
    request: Request, *, actor: str, take_over: bool = False, now: datetime | None = None
) -> StuckClaim:
    """``actor`` handles ``request`` from now. Held by another: refused, unless ``take_over``."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(request)
        if row.holder == actor:
            return row
        previous = row.holder
        if previous and not take_over:
            raise InvalidState(
                _("%(name)s is handling this request since %(since)s.")
                % {
                    "name": _holder_name(previous),
                    "since": timezone.localtime(row.claimed_at).strftime("%Y-%m-%d %H:%M")
                    if row.claimed_at
                    else "",
                },
                code="claimed_by_other",
            )
        row.holder, row.claimed_at = actor, now
        row.save(update_fields=["holder", "claimed_at"])
        action = "stuck.taken_over" if previous else "stuck.claimed"
        record(action, actor=actor, obj=request, at=now, data={"from": previous or None})
        return row


def release(
    request: Request, *, actor: str, reason: str = "", now: datetime | None = None
) -> StuckClaim:
    """Nobody handles ``request`` any more. The holder may; other staff give a reason."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(request)
        if not row.holder:
            raise InvalidState(_("Nobody is handling this request."), code="not_claimed")
        if row.holder != actor and not reason:
            raise NotAllowed(
                _("Give a reason to release a request someone else is handling."),
                code="reason_required",
            )
        previous = row.holder
        row.holder, row.claimed_at = "", None
        row.save(update_fields=["holder", "claimed_at"])
        record(
            "stuck.released",
            actor=actor,
            obj=request,
            at=now,
            data={"holder": previous, "reason": reason[:NOTE_MAX]},
        )
        return row


def snooze(
    request: Request, *, actor: str, until: datetime, note: str, now: datetime | None = None
) -> StuckClaim:
    """Hide ``request`` from the queue until ``until``, with a note on why."""
    now = now or timezone.now()
    if not note:
        raise NotAllowed(_("Give a note: why does this request wait?"), code="reason_required")
    if until <= now:
        raise NotAllowed(_("Snooze until a time in the future."), code="snooze_in_past")
    with transaction.atomic():
        row = _locked(request)
        row.snoozed_until, row.snoozed_by, row.snooze_note = until, actor, note[:NOTE_MAX]
        row.save(update_fields=["snoozed_until", "snoozed_by", "snooze_note"])
        record(
            "stuck.snoozed",
            actor=actor,
            obj=request,
            at=now,
            data={"until": until.isoformat(), "note": row.snooze_note},
        )
        return row


def wake(request: Request, *, actor: str, now: datetime | None = None) -> StuckClaim:
    """End a snooze now."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(request)
        if not row.snoozed(now):
            raise InvalidState(_("This request is not snoozed."), code="not_snoozed")
        row.snoozed_until = None
        row.save(update_fields=["snoozed_until"])
        record("stuck.woken", actor=actor, obj=request, at=now, data={"note": row.snooze_note})
        return row
