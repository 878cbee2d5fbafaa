"""The notify app's periodic jobs, run by the pipeline's scheduler (``lifecycle.periodic``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from jitsuin.lifecycle import periodic
from jitsuin.notify import events
from jitsuin.notify.sending import send_due

JOBS: dict[str, tuple[timedelta, Callable[[datetime], object]]] = {
    "notify.send_due": (timedelta(minutes=1), send_due),
    "notify.remind_expiring": (timedelta(hours=1), events.remind_expiring),
    "notify.remind_pickups": (timedelta(minutes=30), events.remind_pickups),
    "notify.alert_stuck": (timedelta(minutes=30), events.alert_stuck),
}


def register_jobs() -> None:
    for name, (every, job) in JOBS.items():
        periodic.register(name, every, job)
