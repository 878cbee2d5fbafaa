"""Campaign state changes. Each owns its transaction; the state moves through
``transitions.transition`` (the table and the audit event are there).

draft --start--> started --(deadline - summary_lead)--> awaiting --confirm--> confirmed
--(deadline)--> completed; postpone moves the deadline and goes back to started.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import SYSTEM, record
from jitsuin.authorities import revocations
from jitsuin.authorities import services as authority_services
from jitsuin.authorities.models import Authority, AuthorityStatus, Role
from jitsuin.campaigns import (
    approvals,
    dates,
    links,
    mailing,
    mailtext,
    members,
    preflight,
    queries,
    stragglers,
    tasks,
    transitions,
)
from jitsuin.campaigns.models import (
    DEFAULT_SUMMARY_LEAD,
    Campaign,
    CampaignState,
    CampaignTask,
    default_reminder_days,
)
from jitsuin.lifecycle.errors import NotAllowed, NotFound
from jitsuin.pki.clock import FixedClock

OLD_CA_REVOCATION_REASON = "superseded"


class PreflightFailed(NotAllowed):
    code = "preflight_failed"

    def __init__(self, checks: list[preflight.Check]) -> None:
        failed = "; ".join(f"{c.name}: {c.reason}" for c in checks if not c.passed)
        super().__init__(_("Pre-flight checks failed: %(failed)s") % {"failed": failed})
        self.checks = checks


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _via(via: str) -> dict[str, str]:
    """Audit data naming the channel when it is not the actor itself (the CLI's ``--as``)."""
    return {"via": via} if via else {}


def get(name: str) -> Campaign:
    campaign = Campaign.objects.select_related("new_authority").filter(name=name).first()
    if campaign is None:
        raise NotFound(_("There is no campaign named %(name)s.") % {"name": name})
    return campaign


def _authority(name: str) -> Authority:
    authority = Authority.objects.filter(name=name).first()
    if authority is None:
        raise NotFound(_("There is no CA named %(name)s.") % {"name": name})
    if authority.role != Role.INTERMEDIATE:
        raise NotAllowed(_("%(name)s is not an intermediate CA.") % {"name": name})
    return authority


def create_campaign(
    name: str,
    *,
    old: Iterable[str],
    new: str,
    cutoff: datetime,
    deadline: datetime,
    actor: str,
    reminder_days: list[int] | None = None,
    summary_lead: timedelta | None = None,
    texts: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Campaign:
    """A draft campaign; nothing happens to anyone until it is started."""
    now = _now(now)
    old_authorities = [_authority(n) for n in old]
    new_authority = _authority(new)
    if not old_authorities:
        raise NotAllowed(_("Name at least one old intermediate."))
    if new_authority in old_authorities:
        raise NotAllowed(_("The new intermediate cannot also be an old one."))
    if any(d <= 0 for d in reminder_days or []):
        raise NotAllowed(_("Reminder days must be positive numbers of days before the deadline."))
    mailtext.check_texts(texts or {})
    links.check_texts(texts or {})
    dates.check_dates(
        cutoff=cutoff,
        deadline=deadline,
        reminder_days=default_reminder_days() if reminder_days is None else reminder_days,
        summary_lead=DEFAULT_SUMMARY_LEAD if summary_lead is None else summary_lead,
        now=now,
    )
    with transaction.atomic():
        if Campaign.objects.filter(name=name).exists():
            raise NotAllowed(_("A campaign named %(name)s already exists.") % {"name": name})
        campaign = Campaign(
            name=name,
            new_authority=new_authority,
            cutoff=cutoff,
            deadline=deadline,
            created_by=actor,
            created_at=now,
            **(texts or {}),
        )
        if reminder_days is not None:
            campaign.reminder_days = sorted(set(reminder_days), reverse=True)
        if summary_lead is not None:
            campaign.summary_lead = summary_lead
        campaign.save()
        campaign.old_authorities.set(old_authorities)
        record(
            "campaign.created",
            actor=actor,
            obj=campaign,
            data={
                "old": [a.name for a in old_authorities],
                "new": new_authority.name,
                "cutoff": cutoff.isoformat(),
                "deadline": deadline.isoformat(),
            },
            at=now,
        )
    return campaign


def run_preflight(
    campaign: Campaign, *, actor: str, now: datetime | None = None
) -> list[preflight.Check]:
    """Run and keep the checks (the console shows the last run)."""
    now = _now(now)
    checks = preflight.run_checks(campaign, now=now, actor=actor)
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            preflight=[c.as_dict() for c in checks], preflight_at=now
        )
        record(
            "campaign.preflight",
            actor=actor,
            obj=campaign,
            data={
                "passed": preflight.all_passed(checks),
                "failed": [c.name for c in checks if not c.passed],
            },
            at=now,
        )
    campaign.preflight, campaign.preflight_at = [c.as_dict() for c in checks], now
    return checks


def start(
    campaign: Campaign,
    *,
    actor: str,
    now: datetime | None = None,
    require_preflight: bool = True,
    reason: str = "",
    via: str = "",
) -> Campaign:
    """The new intermediate becomes the issuing CA and the affected people are fixed.

    Invitations are bulk work: the task row is made here and its first chunk is enqueued
    when this commits (``tasks.send_chunk``); the periodic job resumes them if a worker stops
    half way, and the CLI may work through them at once (``mailing.send_invitations``).
    """
    now = _now(now)
    transitions.check(campaign, "start")
    if now < campaign.cutoff:
        raise NotAllowed(
            _("The cut-off (%(at)s) has not come yet.")
            % {"at": f"{campaign.cutoff:%Y-%m-%d %H:%M}"}
        )
    mailing.check_texts(campaign)
    if require_preflight:
        checks = run_preflight(campaign, actor=actor, now=now)
        if not preflight.all_passed(checks):
            raise PreflightFailed(checks)
    with transaction.atomic():
        campaign = transitions.lock(campaign, "start")
        try:
            authority_services.activate(
                campaign.new_authority.name, clock=FixedClock(now), actor=actor
            )
        except authority_services.AuthorityError as exc:
            raise NotAllowed(str(exc)) from exc
        joined = members.insert_members(campaign, now)
        campaign = transitions.transition(
            campaign,
            "start",
            actor=actor,
            reason=reason,
            now=now,
            locked=True,
            data={"members": joined, "new": campaign.new_authority.name, **_via(via)},
            started_at=now,
            started_by=actor,
        )
        stragglers.sync_revocation_schedule(campaign, actor=actor, now=now)
        invitations = CampaignTask.objects.create(
            campaign=campaign, kind=mailing.INVITE, total=joined, actor=actor, created_at=now
        )
        transaction.on_commit(lambda: tasks.enqueue_chunk(invitations.pk))
    return campaign


@dataclass(frozen=True)
class Summary:
    progress: queries.Progress
    checks: list[preflight.Check]
    deadline: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "progress": self.progress.as_dict(),
            "checks": [c.as_dict() for c in self.checks],
            "deadline": self.deadline.isoformat(),
        }


def prepare_summary(
    campaign: Campaign, *, actor: str = SYSTEM, now: datetime | None = None
) -> Summary:
    """The final summary for the CA admin: who would be cut off, and the checks again."""
    now = _now(now)
    campaign.refresh_from_db()
    transitions.check(campaign, "summary")
    checks = run_preflight(campaign, actor=actor, now=now)
    summary = Summary(queries.progress(campaign, now=now), checks, campaign.deadline)
    with transaction.atomic():
        transitions.transition(
            campaign,
            "summary",
            actor=actor,
            now=now,
            data=summary.as_dict(),
            summary=summary.as_dict(),
            summary_at=now,
            **approvals.CLEARED,
        )
    campaign.refresh_from_db()
    return summary


def confirm(
    campaign: Campaign,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
    via: str = "",
) -> Campaign:
    """A CA admin agrees to the revocation; it happens at the deadline (or now, if past).

    Dual control (``approvals.take``): the first confirmation waits, still awaiting, for a
    different CA admin's; only the second moves the campaign to confirmed.
    """
    now = _now(now)
    with transaction.atomic():
        campaign = transitions.lock(campaign, "confirm")
        campaign = approvals.take(
            campaign,
            actor=actor,
            reason=reason,
            now=now,
            data={
                "deadline": campaign.deadline.isoformat(),
                "summary": campaign.summary,
                **_via(via),
            },
        )
    if campaign.state == CampaignState.CONFIRMED and now >= campaign.deadline:
        revoke_old_authorities(campaign, actor=actor, now=now)
        campaign.refresh_from_db()
    return campaign


def postpone(
    campaign: Campaign, *, to: datetime, actor: str, reason: str, now: datetime | None = None
) -> Campaign:
    """A new deadline; the summary and any confirmation are void, reminders follow the new date."""
    now = _now(now)
    if not reason.strip():
        raise NotAllowed(_("Say why the deadline moves."))
    with transaction.atomic():
        campaign = transitions.lock(campaign, "postpone")
        dates.check_postponement(
            cutoff=campaign.cutoff, deadline=campaign.deadline, new_deadline=to, now=now
        )
        campaign = transitions.transition(
            campaign,
            "postpone",
            actor=actor,
            reason=reason,
            now=now,
            locked=True,
            data={"from": campaign.deadline.isoformat(), "to": to.isoformat()},
            deadline=to,
            summary={},
            summary_at=None,
            confirmed_at=None,
            confirmed_by="",
            **approvals.CLEARED,
        )
        stragglers.sync_revocation_schedule(campaign, actor=actor, now=now)
    return campaign


def revoke_old_authorities(
    campaign: Campaign, *, actor: str, now: datetime | None = None
) -> Campaign:
    """Revoke every old intermediate as of the deadline; the root CRL then lists them.

    A confirmation that came after the deadline revokes as of the confirmation: a
    revocation is never backdated past the moment someone decided it.
    """
    now = _now(now)
    with transaction.atomic():
        campaign = transitions.lock(campaign, "complete")
        if now < campaign.deadline:
            raise NotAllowed(_("The deadline has not come yet."))
        effective = max(campaign.deadline, campaign.confirmed_at or campaign.deadline)
        for old in campaign.old_authorities.all():
            if old.status == AuthorityStatus.REVOKED or old.revoked_at is not None:
                continue
            try:
                revocations.revoke_authority(
                    old.name,
                    reason=OLD_CA_REVOCATION_REASON,
                    at=effective,
                    actor=actor,
                    clock=FixedClock(now),
                )
            except authority_services.AuthorityError as exc:
                raise NotAllowed(str(exc)) from exc
        campaign = transitions.transition(
            campaign,
            "complete",
            actor=actor,
            now=now,
            locked=True,
            data={"revoked": [a.name for a in campaign.old_authorities.all()]},
            completed_at=now,
        )
        stragglers.at_deadline(campaign, actor=actor, now=now)
    return campaign


def cancel(campaign: Campaign, *, actor: str, reason: str, now: datetime | None = None) -> Campaign:
    now = _now(now)
    with transaction.atomic():
        campaign = transitions.transition(
            campaign, "cancel", actor=actor, reason=reason, now=now, **approvals.CLEARED
        )
        stragglers.sync_revocation_schedule(campaign, actor=actor, now=now)
    return campaign


def note_export(campaign: Campaign, *, actor: str, everyone: bool) -> None:
    """Exports carry names and addresses: each one is in the audit log."""
    with transaction.atomic():
        record("campaign.exported", actor=actor, obj=campaign, data={"everyone": everyone})
