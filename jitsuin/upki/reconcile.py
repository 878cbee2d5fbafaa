"""The status list decides what the result pages and mails did not say.

- An upload whose answer was lost (a timeout, a crash between upload and result): a line
  the service took shows in the list (its DN waiting for pickup or with a certificate this
  portal does not know yet, its revoked serial as 7); a line not shown once
  ``JITSUIN_UPKI_UNCERTAIN_WAIT`` has passed goes out again.
- A renewal (after 212) needs the serial of the DN's current certificate.
- A revocation the service took is confirmed when its serial shows 7 (when the mail that
  says so went missing).
- A certificate revoked at the service by other means (the officer's own form) shows 7 too:
  its line is marked, and lifecycle/upstream_revocations.py revokes it here as well.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.upki import lines
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState
from jitsuin.upstream.status_list import Entry, State

# A batch still "uploading" after this long was cut off by a crash: its answer is lost.
UPLOAD_CUT_OFF = timedelta(minutes=10)


def work_waiting(now: datetime) -> bool:
    """Whether anything waits for the status list (the job fetches it then, at once)."""
    return (
        _uncertain_batches(now).exists()
        or Line.objects.filter(
            state=LineState.QUEUED, apply_type=ApplyType.RENEW, serial=""
        ).exists()
    )


def _uncertain_batches(now: datetime) -> QuerySet[Batch]:
    """Batches whose answer was lost, or cut off by a crash while uploading."""
    return Batch.objects.filter(
        Q(state=BatchState.UNCERTAIN)
        | Q(state=BatchState.UPLOADING, created_at__lt=now - UPLOAD_CUT_OFF)
    )


def reconcile(entries: list[Entry], now: datetime) -> dict[str, int]:
    """Apply the status list ``entries``; returns counts of what it decided."""
    by_dn: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_dn[entry.dn].append(entry)
    revoked = {e.serial for e in entries if e.state == State.REVOKED}
    counts = {"taken": 0, "again": 0, "renewals": 0, "refused": 0, "revoked": 0}
    # (and "revoked_at_service": certificates the list shows revoked that this portal did not
    # revoke: lifecycle/upstream_revocations.py records them.)
    with transaction.atomic():
        for batch in _uncertain_batches(now).select_for_update():
            _decide_batch(batch, by_dn, revoked, now, counts)
        for line in Line.objects.select_for_update().filter(
            state=LineState.QUEUED, apply_type=ApplyType.RENEW, serial=""
        ):
            _renewal_serial(line, by_dn.get(line.dn, []), now, counts)
        for line in Line.objects.select_for_update().filter(
            apply_type=ApplyType.REVOKE, state=LineState.ACCEPTED, serial__in=revoked
        ):
            lines.set_state(line, LineState.DONE, now)
            counts["revoked"] += 1
            record("upki.line.revoked", obj=line, at=now, data={"by": "status list"})
        counts["revoked_at_service"] = (
            Line.objects.exclude(apply_type=ApplyType.REVOKE)
            .filter(issued_serial__in=revoked, revoked_at_service__isnull=True)
            .update(revoked_at_service=now)
        )
        if any(counts.values()):
            record("upki.status_list.applied", at=now, data=counts)
    return counts


def _known_serials() -> set[str]:
    return set(Line.objects.exclude(issued_serial="").values_list("issued_serial", flat=True))


def _taken(line: Line, by_dn: dict[str, list[Entry]], revoked: set[str], known: set[str]) -> bool:
    if line.apply_type == ApplyType.REVOKE:
        return line.serial in revoked
    return any(
        e.state == State.WAITING_FOR_PICKUP or (e.serial and e.serial not in known)
        for e in by_dn.get(line.dn, [])
        if e.serial != line.serial  # a renewal's old certificate says nothing of it
    )


def _decide_batch(
    batch: Batch,
    by_dn: dict[str, list[Entry]],
    revoked: set[str],
    now: datetime,
    counts: dict[str, int],
) -> None:
    known = _known_serials()
    expired = batch.created_at <= now - current().upki.uncertain_wait
    undecided = 0
    for line in Line.objects.select_for_update().filter(batch=batch, state=LineState.SENT):
        if _taken(line, by_dn, revoked, known):
            done = line.apply_type == ApplyType.REVOKE
            lines.set_state(line, LineState.DONE if done else LineState.ACCEPTED, now)
            counts["revoked" if done else "taken"] += 1
        elif expired:
            lines.set_state(line, LineState.QUEUED, now)
            counts["again"] += 1
        else:
            undecided += 1
    if undecided == 0:
        Batch.objects.filter(pk=batch.pk).update(state=BatchState.RECONCILED, answered_at=now)
        record("upki.batch.reconciled", obj=batch, at=now, data={"expired": expired})
    elif batch.state == BatchState.UPLOADING:
        Batch.objects.filter(pk=batch.pk).update(state=BatchState.UNCERTAIN)


def _renewal_serial(
    line: Line, entries: list[Entry], now: datetime, counts: dict[str, int]
) -> None:
    valid = [e for e in entries if e.state in (State.ISSUED, State.RENEWED) and e.serial]
    if valid:
        newest = max(valid, key=lambda e: int(e.serial) if e.serial.isdigit() else 0)
        line.serial = newest.serial
        line.save(update_fields=["serial"])
        counts["renewals"] += 1
        return
    lines.set_state(
        line,
        LineState.FAILED,
        now,
        error=(
            f"{line.error} The DN is taken at the national service by a certificate that is "
            "revoked, expired or not yet collected, so it can be neither issued nor renewed: "
            "ask the service to release it."
        ).strip(),
    )
    counts["refused"] += 1
