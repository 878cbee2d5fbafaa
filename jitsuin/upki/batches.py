"""Queued lines become batches; a batch is uploaded once.

The batch row, with the bytes to upload, is committed before the upload starts. Whatever
happens next is recorded on it: the result page (each line OK or NG), the error page (the
service took nothing: NG lines fail, the others go to the next batch), maintenance or no
connection (not taken: every line goes again), or nothing at all — a timeout, a crash — in
which case the batch is uncertain and only the status list and the mails may say whether
the service took it (reconcile.py). So no application is ever uploaded twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.upki import lines
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState
from jitsuin.upstream.applications import ApplicationError, to_tsv
from jitsuin.upstream.client import (
    OfficerClient,
    UpstreamMaintenance,
    UpstreamUnavailable,
)
from jitsuin.upstream.results import DN_EXISTS, UploadResult

logger = logging.getLogger("jitsuin.upki")
MAX_PAGE_BYTES = 2_000_000  # what is kept of a result page


def sendable(lines: QuerySet[Line], apply_type: int) -> QuerySet[Line]:
    """Queued lines of ``apply_type`` that can go: a renewal needs its old serial first."""
    queued = lines.filter(state=LineState.QUEUED, apply_type=apply_type)
    return queued.exclude(serial="") if apply_type == ApplyType.RENEW else queued


def due_types(now: datetime) -> list[int]:
    """The apply types with a batch to send: a full batch waiting, or the oldest queued
    line older than the batch interval."""
    config = current().upki
    due = []
    for apply_type in ApplyType.values:
        queued = sendable(Line.objects.all(), apply_type)
        oldest = queued.order_by("created_at").values_list("created_at", flat=True).first()
        if oldest is None:
            continue
        if oldest <= now - config.batch_interval or queued.count() >= config.batch_size:
            due.append(apply_type)
    return due


def _take(apply_type: int, now: datetime) -> Batch | None:
    """The next batch of ``apply_type``: its lines marked sent and the TSV recorded, in one
    transaction, before anything leaves this machine."""
    size = current().upki.batch_size
    with transaction.atomic():
        taken = list(
            sendable(Line.objects.select_for_update(skip_locked=True), apply_type).order_by(
                "created_at", "id"
            )[:size]
        )
        if not taken:
            return None
        try:
            tsv = to_tsv(lines.application(line) for line in taken)
        except ApplicationError as exc:  # checked at request time; a changed setting can do it
            for line in taken:
                lines.set_state(line, LineState.FAILED, now, error=str(exc))
            record("upki.batch.unsendable", data={"error": str(exc), "lines": len(taken)})
            return None
        batch = Batch.objects.create(
            apply_type=apply_type, state=BatchState.UPLOADING, tsv=tsv, created_at=now
        )
        for seq, line in enumerate(taken, start=1):
            line.batch, line.seq, line.sends = batch, seq, line.sends + 1
            lines.set_state(line, LineState.SENT, now, batch=batch, seq=seq, sends=line.sends)
        record(
            "upki.batch.recorded",
            obj=batch,
            at=now,
            data={"apply_type": apply_type, "lines": len(taken)},
        )
    return batch


def send_due(client: OfficerClient, now: datetime) -> list[Batch]:
    """Upload every batch that is due; returns them with their outcome."""
    sent = []
    for apply_type in due_types(now):
        while True:
            batch = _take(apply_type, now)
            if batch is None:
                break
            upload(client, batch, now)
            sent.append(batch)
            if batch.state != BatchState.ANSWERED or len(batch.lines.all()) < (
                current().upki.batch_size
            ):
                break
    return sent


def upload(client: OfficerClient, batch: Batch, now: datetime) -> None:
    """Upload the recorded ``batch`` and record what the service answered."""
    try:
        result = client.upload(ApplyType(batch.apply_type), bytes(batch.tsv))
    except UpstreamMaintenance as exc:
        _not_taken(batch, now, f"maintenance: {exc}")
        return
    except UpstreamUnavailable as exc:
        # The file may have reached the service before the connection broke.
        _uncertain(batch, now, str(exc))
        return
    apply_result(batch, result, now)


def _not_taken(batch: Batch, now: datetime, error: str) -> None:
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            state=BatchState.NOT_TAKEN, error=error, answered_at=now
        )
        for line in Line.objects.select_for_update().filter(batch=batch, state=LineState.SENT):
            lines.set_state(line, LineState.QUEUED, now)
        record("upki.batch.not_taken", obj=batch, at=now, data={"error": error[:500]})
    batch.state, batch.error = BatchState.NOT_TAKEN, error
    logger.warning("upki batch %s not taken: %s", batch.pk, error)


def _uncertain(batch: Batch, now: datetime, error: str) -> None:
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(state=BatchState.UNCERTAIN, error=error)
        record("upki.batch.uncertain", obj=batch, at=now, data={"error": error[:500]})
    batch.state, batch.error = BatchState.UNCERTAIN, error
    logger.warning("upki batch %s: answer lost (%s); the status list decides", batch.pk, error)


def apply_result(batch: Batch, result: UploadResult, now: datetime, page: bytes = b"") -> None:
    """Each line of ``batch`` as the result page says: OK accepted, NG failed (212 goes
    again as a renewal), and on the error page the lines without an error go again."""
    with transaction.atomic():
        state = BatchState.ANSWERED if result.accepted else BatchState.REFUSED
        Batch.objects.filter(pk=batch.pk).update(
            state=state, answered_at=now, result_page=page[:MAX_PAGE_BYTES]
        )
        counts = {"ok": 0, "ng": 0, "again": 0}
        for line in Line.objects.select_for_update().filter(batch=batch).order_by("seq"):
            if line.state != LineState.SENT:
                continue  # a mail already told (a mail may come before the page)
            answer = result.line(line.seq or 0)
            if answer is not None and not answer.ok:
                counts["ng"] += 1
                _refused_line(line, answer.code, answer.error, now)
            elif result.accepted:
                counts["ok"] += 1
                lines.set_state(line, LineState.ACCEPTED, now)
            else:
                counts["again"] += 1
                lines.set_state(line, LineState.QUEUED, now)
        record("upki.batch.answered", obj=batch, at=now, data={"state": state, **counts})
    batch.state = state


def _refused_line(line: Line, code: str, error: str, now: datetime) -> None:
    if code == DN_EXISTS and line.apply_type == ApplyType.ISSUE:
        # The DN exists at the service: the same application goes again as a renewal of
        # that certificate, once its serial is known (reconcile.renewal_serials).
        lines.set_state(
            line,
            LineState.QUEUED,
            now,
            apply_type=ApplyType.RENEW,
            serial="",
            error_code=code,
            error=error,
        )
        record("upki.line.renewal", obj=line, at=now, data={"request": line.request_id})
        return
    lines.set_state(line, LineState.FAILED, now, error_code=code, error=error)
    record(
        "upki.line.refused",
        obj=line,
        at=now,
        data={"request": line.request_id, "code": code, "error": error[:300]},
    )
