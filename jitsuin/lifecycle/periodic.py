"""Periodic jobs: apps register them in ``AppConfig.ready()``; the scheduler runs them when due.

The scheduler claims a job by moving its ``next_run_at`` forward under the row lock of its
``PeriodicJob`` row, then runs it outside that transaction. Several workers may tick at
once: only the one that moved ``next_run_at`` runs the job for that period.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jitsuin.lifecycle.models import PeriodicJob

logger = logging.getLogger("jitsuin.periodic")

JobFunction = Callable[[datetime], object]  # the return value is ignored


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    fn: JobFunction


_JOBS: dict[str, Job] = {}


def register(name: str, every: timedelta, fn: JobFunction) -> None:
    """Run ``fn(now)`` about every ``every``; registering a name again replaces it."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    _JOBS[name] = Job(name=name, every=every, fn=fn)


def registered() -> dict[str, Job]:
    return dict(_JOBS)


def _claim(job: Job, now: datetime) -> bool:
    """True if this caller won the job for the current period."""
    with transaction.atomic():
        rows = PeriodicJob.objects.filter(name=job.name)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        else:
            rows = rows.select_for_update()
        row = rows.first()
        if row is None:
            try:
                with transaction.atomic():
                    row = PeriodicJob.objects.create(name=job.name)
            except IntegrityError:
                return False  # another worker created it just now and runs it
        if row.next_run_at is not None and row.next_run_at > now:
            return False
        row.next_run_at = now + job.every
        row.last_run_at = now
        row.runs += 1
        row.save(update_fields=["next_run_at", "last_run_at", "runs"])
        return True


def run_due(now: datetime | None = None, *, names: list[str] | None = None) -> list[str]:
    """Run every registered job that is due at ``now``; returns the names that ran here."""
    now = now or timezone.now()
    ran = []
    for job in list(_JOBS.values()):
        if names is not None and job.name not in names:
            continue
        if not _claim(job, now):
            continue
        error = ""
        try:
            job.fn(now)
        except Exception:
            error = traceback.format_exc(limit=5)
            logger.exception("periodic job %s failed", job.name)
        PeriodicJob.objects.filter(name=job.name).update(last_error=error)
        ran.append(job.name)
    return ran
