"""The campaigns' periodic job (``tick``) and their /healthz check."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from jitsuin.audit.services import SYSTEM
from jitsuin.campaigns import mailing, queries, services, stragglers
from jitsuin.campaigns.models import (
    RUNNING_STATES,
    Campaign,
    CampaignState,
    CampaignTask,
    Snapshot,
    TaskState,
)

SNAPSHOT_EVERY = timedelta(hours=6)


def take_snapshot(campaign: Campaign, *, now: datetime | None = None) -> Snapshot:
    now = now or timezone.now()
    p = queries.progress(campaign, now=now)
    return Snapshot.objects.create(
        campaign=campaign,
        at=now,
        total=p.total,
        migrated=p.migrated,
        in_progress=p.in_progress,
        stuck=p.stuck,
        not_started=p.not_started,
        old_in_use=p.old_in_use,
    )


def tick(now: datetime) -> None:
    """The periodic job: invitations left over, reminders, snapshots, summary, deadline."""
    for campaign in Campaign.objects.filter(state__in=RUNNING_STATES).select_related(
        "new_authority"
    ):
        mailing.resume_tasks(campaign, now=now)
        mailing.send_reminders(campaign, now=now)
        last = campaign.snapshots.order_by("-at").first()
        if last is None or now - last.at >= SNAPSHOT_EVERY:
            take_snapshot(campaign, now=now)
        if (
            campaign.state == CampaignState.STARTED
            and now >= campaign.deadline - campaign.summary_lead
        ):
            services.prepare_summary(campaign, now=now)
        campaign.refresh_from_db()
        if campaign.state == CampaignState.CONFIRMED and now >= campaign.deadline:
            services.revoke_old_authorities(campaign, actor=SYSTEM, now=now)
    # The deadline mail of a completed campaign, if a worker stopped half way.
    stragglers.resume(now)


def health() -> tuple[str, object]:
    """For /healthz: degraded while a deadline has passed without a confirmed revocation."""
    now = timezone.now()
    overdue = list(
        Campaign.objects.filter(
            state__in=[CampaignState.STARTED, CampaignState.AWAITING_CONFIRMATION],
            deadline__lte=now,
        ).values_list("name", flat=True)
    )
    stuck_tasks = CampaignTask.objects.filter(
        state=TaskState.RUNNING, heartbeat_at__lt=now - mailing.TASK_LEASE
    ).count()
    if overdue:
        return "degraded", {"deadline_passed_unconfirmed": overdue, "stalled_tasks": stuck_tasks}
    if stuck_tasks:
        return "degraded", {"stalled_tasks": stuck_tasks}
    running = Campaign.objects.filter(state__in=RUNNING_STATES).count()
    return "ok", {"running": running}
