"""One table lists every periodic job: nothing else registers one, and each function exists."""

from __future__ import annotations

import inspect
from pathlib import Path

from jitsuin.jobs.periodic import registered
from jitsuin.jobs.schedule import JOBS

# The jobs the documentation names (docs/pipeline.md, "Workers and periodic jobs").
DOCUMENTED = {
    "audit.checkpoint",
    "notify.send_due",
    "notify.remind_expiring",
    "notify.remind_pickups",
    "notify.alert_stuck",
    "lifecycle.sweep",
    "lifecycle.expire_pickups",
    "lifecycle.revoke_superseded",
    "lifecycle.leavers",
    "revocation.refresh",
    "connectors.pull_remote_crls",
    "upki.exchange",
    "upki.revoked_at_service",
    "campaigns",
}
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_schedule_is_every_job_the_scheduler_runs():
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    assert set(names) == DOCUMENTED
    assert set(registered()) == DOCUMENTED  # no app registers a job of its own


def test_each_job_names_a_function_of_now():
    for job in JOBS:
        assert isinstance(job.fn, str), job.name  # by dotted path: jobs imports no app
        function = job.function()
        assert callable(function), job.name
        assert len(inspect.signature(function).parameters) >= 1, job.name


def test_the_pipeline_page_lists_every_job():
    page = (DOCS / "pipeline.md").read_text(encoding="utf-8")
    for name in DOCUMENTED:
        assert f"`{name}`" in page, name
