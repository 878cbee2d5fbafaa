"""Periodic jobs: the scheduler runs each job of the schedule (``jobs.schedule.JOBS``) when due.

The scheduler claims a job by moving its ``next_run_at`` forward under the row lock of its
``PeriodicJob`` row, then runs it outside that transaction. Several workers may tick at
once: only the one that moved ``next_run_at`` runs the job for that period.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jitsuin.jobs.models import PeriodicJob
from jitsuin.jobs.schedule import JOBS, JobFunction, PeriodicJobSpec

logger = logging.getLogger("jitsuin.periodic")

# Jobs added at run time, beside the schedule: tests register their own here.
_EXTRA: dict[str, PeriodicJobSpec] = {}


def register(name: str, every: timedelta, fn: JobFunction | str) -> None:
    """Also run ``fn(now)`` about every ``every`` (tests); a name registered again replaces it.

    Production jobs are not registered: they are listed in ``jitsuin.jobs.schedule.JOBS``."""
    _EXTRA[name] = PeriodicJobSpec(name, every=every, fn=fn)


def unregister(name: str) -> None:
    _EXTRA.pop(name, None)


def registered() -> dict[str, PeriodicJobSpec]:
    """Every job the scheduler runs, by name: the schedule, then those registered."""
    return {**{job.name: job for job in JOBS}, **_EXTRA}


def _claim(job: PeriodicJobSpec, now: datetime) -> bool:
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
    """Run every job that is due at ``now``; returns the names that ran here."""
    now = now or timezone.now()
    ran = []
    for job in list(registered().values()):
        if names is not None and job.name not in names:
            continue
        if not _claim(job, now):
            continue
        error = ""
        try:
            job.function()(now)
        except Exception:
            error = traceback.format_exc(limit=5)
            logger.exception("periodic job %s failed", job.name)
        PeriodicJob.objects.filter(name=job.name).update(last_error=error)
        ran.append(job.name)
    return ran
