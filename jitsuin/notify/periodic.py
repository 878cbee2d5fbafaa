"""The notify app's periodic job, run by the pipeline's scheduler (``lifecycle.periodic``).

The lifecycle e-mails' scans (reminders, stuck requests) are registered by the lifecycle app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from jitsuin.lifecycle import periodic
from jitsuin.notify.sending import send_due

JOBS: dict[str, tuple[timedelta, Callable[[datetime], object]]] = {
    "notify.send_due": (timedelta(minutes=1), send_due),
}


def register_jobs() -> None:
    for name, (every, job) in JOBS.items():
        periodic.register(name, every, job)
