"""Every periodic job, in one table: its name, how often it runs, and the function it calls.

A worker's scheduler (``jitsuin.jobs.periodic``) calls ``fn(now)`` about every ``every``,
once per period however many workers run. Functions are named by dotted path and imported
when the job first runs, so that this bottom layer imports none of the apps above it.
The names are those of the ``PeriodicJob`` rows (``last_run_at``, ``last_error``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.module_loading import import_string

from jitsuin.config import current

JobFunction = Callable[[datetime], object]  # the return value is ignored


@dataclass(frozen=True)
class PeriodicJobSpec:
    name: str
    every: timedelta
    fn: JobFunction | str  # a function, or its dotted path

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError("a periodic job needs a positive interval")

    def function(self) -> JobFunction:
        fn: JobFunction = import_string(self.fn) if isinstance(self.fn, str) else self.fn
        return fn


MINUTE = timedelta(minutes=1)
# JITSUIN_SWEEP_INTERVAL and JITSUIN_HOUSEKEEPING_INTERVAL (parsed and checked by jitsuin.config).
_pipeline = current().pipeline

# In the order a scheduler tick runs them.
JOBS: tuple[PeriodicJobSpec, ...] = (
    # Audit chain: a checkpoint when one is due (JITSUIN_AUDIT_CHECKPOINT_EVERY decides).
    PeriodicJobSpec("audit.checkpoint", MINUTE, "jitsuin.notify.audit_checkpoints.tick"),
    # E-mail: the outbox.
    PeriodicJobSpec("notify.send_due", MINUTE, "jitsuin.notify.sending.send_due"),
    # The lifecycle's e-mails (reminders, stuck requests), under the names they had in notify.
    PeriodicJobSpec(
        "notify.remind_expiring", 60 * MINUTE, "jitsuin.lifecycle.notifications.remind_expiring"
    ),
    PeriodicJobSpec(
        "notify.remind_pickups", 30 * MINUTE, "jitsuin.lifecycle.notifications.remind_pickups"
    ),
    PeriodicJobSpec(
        "notify.alert_stuck", 30 * MINUTE, "jitsuin.lifecycle.notifications.alert_stuck"
    ),
    # The request pipeline: expired leases, lost tasks, dead workers; pickups; overlap.
    PeriodicJobSpec(
        "lifecycle.sweep", _pipeline.sweep_interval, "jitsuin.lifecycle.housekeeping.sweep"
    ),
    PeriodicJobSpec(
        "lifecycle.expire_pickups",
        _pipeline.housekeeping_interval,
        "jitsuin.lifecycle.housekeeping.expire_pickups",
    ),
    PeriodicJobSpec(
        "lifecycle.revoke_superseded",
        _pipeline.housekeeping_interval,
        "jitsuin.lifecycle.housekeeping.revoke_superseded",
    ),
    # Leavers whose grace ended (their task is the usual path; this catches a lost one).
    PeriodicJobSpec(
        "lifecycle.leavers", _pipeline.housekeeping_interval, "jitsuin.lifecycle.leavers.finish_due"
    ),
    # Scheduled CA revocations, OCSP responders, CRLs and OCSP responses due, sightings, alerts.
    PeriodicJobSpec(
        "revocation.refresh", MINUTE, "jitsuin.authorities.publishing.periodic.refresh"
    ),
    # An RA of a remote signer (JITSUIN_SIGNER_URL): its CAs' CRLs, pulled, not signed here.
    PeriodicJobSpec(
        "connectors.pull_remote_crls", MINUTE, "jitsuin.connectors.remote_crl.periodic_pull"
    ),
    # The national service (JITSUIN_UPKI_URL): batches, mails, the status list.
    PeriodicJobSpec("upki.exchange", current().upki.poll_interval, "jitsuin.upki.jobs.exchange"),
    # What the service revoked without this portal (its status list), revoked here too.
    PeriodicJobSpec(
        "upki.revoked_at_service",
        current().upki.poll_interval,
        "jitsuin.lifecycle.upstream_revocations.follow",
    ),
    # Switchover campaigns: invitations, reminders, snapshots, summary, deadline.
    PeriodicJobSpec("campaigns", 5 * MINUTE, "jitsuin.campaigns.periodic.tick"),
)
