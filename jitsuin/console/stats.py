"""The dashboard's figures: counts by state, requests per day, processing times, the oldest."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.db.models.functions import TruncDate

from jitsuin.lifecycle.models import (
    Request,
    RequestKind,
    RequestState,
    RequestTransition,
)
from jitsuin.notify.models import OutboxMessage, OutboxState
from jitsuin.workdays import JAPAN

FINISHED = (RequestState.READY, RequestState.DONE)


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Dashboard:
    by_state: dict[str, dict[str, int]]
    per_day: list[Bar]
    per_day_max: int
    processed: int
    median: timedelta | None
    p95: timedelta | None
    oldest_open: Request | None
    outbox_pending: int
    outbox_failed: int


def percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return None
    return sorted(values)[max(1, math.ceil(fraction * len(values))) - 1]


@dataclass(frozen=True)
class ProcessingTimes:
    count: int
    median: timedelta | None
    p95: timedelta | None


def processing_times(now: datetime, days: int = 30) -> ProcessingTimes:
    """From request to issued (ready) or done, for requests finished in the last ``days``:
    how many, the (low) median and the nearest-rank p95.

    The durations are worked out by the database and read as plain values: at 1M certificates
    a month holds tens of thousands of finished requests, and building two models for each
    cost the dashboard ~0.4 s of CPU (docs/performance.md, the console's pages).
    """
    finished = RequestTransition.objects.filter(
        to_state__in=FINISHED, at__gte=now - timedelta(days=days)
    ).annotate(
        took=ExpressionWrapper(F("at") - F("request__created_at"), output_field=DurationField())
    )
    took = list(finished.values_list("took", flat=True))
    if not took:
        return ProcessingTimes(0, None, None)
    return ProcessingTimes(len(took), statistics.median_low(took), percentile(took, 0.95))


def requests_per_day(now: datetime, days: int = 14) -> list[tuple[date, int]]:
    today = now.astimezone(JAPAN).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=JAPAN)
    rows = (
        Request.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=JAPAN))
        .values("day")
        .annotate(n=Count("id"))
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def bars(
    series: list[tuple[date, int]], *, height: int = 120, width: int = 24
) -> tuple[list[Bar], int]:
    top = max([count for _day, count in series] + [1])
    out = []
    for i, (day, count) in enumerate(series):
        h = round(count / top * height)
        out.append(Bar(day=day, count=count, x=i * (width + 6), y=height - h, height=h))
    return out, top


def dashboard(now: datetime) -> Dashboard:
    by_state: dict[str, dict[str, int]] = {kind: {} for kind in RequestKind.values}
    for row in Request.objects.values("kind", "state").annotate(n=Count("id")):
        by_state[row["kind"]][row["state"]] = row["n"]
    times = processing_times(now)
    per_day, top = bars(requests_per_day(now))
    outbox = dict(
        OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.FAILED])
        .values_list("state")
        .annotate(n=Count("id"))
    )
    return Dashboard(
        by_state=by_state,
        per_day=per_day,
        per_day_max=top,
        processed=times.count,
        median=times.median,
        p95=times.p95,
        oldest_open=Request.objects.open().select_related("person").order_by("created_at").first(),
        outbox_pending=outbox.get(OutboxState.PENDING, 0),
        outbox_failed=outbox.get(OutboxState.FAILED, 0),
    )
