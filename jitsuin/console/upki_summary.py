"""What the console's national-service page reads: the lines by state, the mails that need a
look, the last batch and the service's last maintenance answer; batches with their lines
counted in one query; a mail's one-time URL without its secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from jitsuin.upki.connector import UpkiConnector
from jitsuin.upki.models import Batch, BatchState, Line, LineState, Mail, MailState

RECENT = timedelta(days=30)
# How far back a maintenance answer is worth showing on the page.
MAINTENANCE_SHOWN = timedelta(days=1)
# The line states each batch row counts, in the order of the page's columns.
COUNTED = (
    LineState.SENT,
    LineState.ACCEPTED,
    LineState.READY,
    LineState.DONE,
    LineState.FAILED,
    LineState.QUEUED,
)


@dataclass(frozen=True)
class Summary:
    queued: int
    sent: int
    accepted: int  # waiting for the service's mails
    collected: int  # in the last 30 days
    failed: int  # in the last 30 days
    mails_not_matched: int
    last_batch: Batch | None
    last_maintenance: datetime | None  # the service's last maintenance answer, if recent
    in_maintenance: bool  # requests wait for it now (the connector's hold)


def not_matched_mails() -> QuerySet[Mail]:
    """The mails someone may have to look at: every state but matched."""
    return Mail.objects.exclude(state=MailState.MATCHED)


def summary(now: datetime) -> Summary:
    since = now - RECENT
    counts = Line.objects.aggregate(
        queued=Count("pk", filter=Q(state=LineState.QUEUED)),
        sent=Count("pk", filter=Q(state=LineState.SENT)),
        accepted=Count("pk", filter=Q(state=LineState.ACCEPTED)),
        collected=Count(
            "pk",
            filter=Q(state__in=(LineState.READY, LineState.DONE), updated_at__gte=since),
        ),
        failed=Count("pk", filter=Q(state=LineState.FAILED, finished_at__gte=since)),
    )
    maintenance = (
        Batch.objects.filter(
            state=BatchState.NOT_TAKEN,
            error__startswith="maintenance",
            answered_at__gte=now - MAINTENANCE_SHOWN,
        )
        .order_by("-answered_at")
        .values_list("answered_at", flat=True)
        .first()
    )
    return Summary(
        **counts,
        mails_not_matched=not_matched_mails().count(),
        last_batch=Batch.objects.defer("tsv", "result_page").order_by("-created_at").first(),
        last_maintenance=maintenance,
        in_maintenance=UpkiConnector().in_maintenance(now) is not None,
    )


def batches() -> QuerySet[Batch]:
    """Every batch, newest first, with ``lines_<state>`` counts; the bytes left in the row."""
    return (
        Batch.objects.defer("tsv", "result_page")
        .annotate(
            **{
                f"lines_{state.value}": Count("lines", filter=Q(lines__state=state))
                for state in COUNTED
            }
        )
        .order_by("-created_at", "-id")
    )


def line_counts(batch: Batch) -> list[int]:
    """A batch from ``batches()``: its lines counted per state of ``COUNTED``."""
    return [getattr(batch, f"lines_{state.value}") for state in COUNTED]
