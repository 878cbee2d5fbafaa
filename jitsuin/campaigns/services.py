"""Campaign state changes. Each owns its transaction; the state moves through
``transitions.transition`` (the table and the audit event are there).

draft --start--> started --(deadline - summary_lead)--> awaiting --confirm--> confirmed
--(deadline)--> completed; postpone moves the deadline and goes back to started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.authorities import services as authority_services
from jitsuin.authorities.models import Authority, AuthorityStatus, Role
from jitsuin.campaigns import links, preflight, queries, transitions
from jitsuin.campaigns.models import (
    RUNNING_STATES,
    Campaign,
    CampaignState,
    CampaignTask,
    Member,
    ReminderRound,
    Snapshot,
    TaskState,
)
from jitsuin.config import current
from jitsuin.lifecycle.errors import NotAllowed, NotFound
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Person
from jitsuin.notify.services import BulkItem, enqueue_many, render_item
from jitsuin.pki.clock import FixedClock

Progress = Callable[[int, int], None]  # (done, total)
CHUNK = 500
# A running task whose heartbeat is older than this is taken over by another process.
TASK_LEASE = timedelta(minutes=10)
INVITE = "invite"
REMINDER = "reminder-"
OLD_CA_REVOCATION_REASON = "superseded"


class PreflightFailed(NotAllowed):
    code = "preflight_failed"

    def __init__(self, checks: list[preflight.Check]) -> None:
        failed = "; ".join(f"{c.name}: {c.reason}" for c in checks if not c.passed)
        super().__init__(_("Pre-flight checks failed: %(failed)s") % {"failed": failed})
        self.checks = checks


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


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
    if deadline <= cutoff:
        raise NotAllowed(_("The deadline must come after the cut-off."))
    if any(d <= 0 for d in reminder_days or []):
        raise NotAllowed(_("Reminder days must be positive numbers of days before the deadline."))
    links.check_texts(texts or {})
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


def _insert_members(campaign: Campaign, now: datetime) -> int:
    """One INSERT ... SELECT: everyone holding a valid certificate from an old intermediate."""
    old_ids = list(campaign.old_authorities.values_list("id", flat=True))
    placeholders = ", ".join(["%s"] * len(old_ids))
    cert = Certificate._meta.db_table
    member = Member._meta.db_table
    sql = (
        f"INSERT INTO {member} (campaign_id, person_id, old_certificate_id, old_certificates, "  # noqa: S608
        f"joined_at) SELECT %s, c.person_id, MAX(c.id), COUNT(*), %s FROM {cert} c "
        f"WHERE c.issuer_id IN ({placeholders}) AND c.status = %s AND c.not_before <= %s "
        "AND c.not_after > %s GROUP BY c.person_id"
    )
    params = [campaign.pk, now, *old_ids, CertificateStatus.VALID, now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def start(
    campaign: Campaign,
    *,
    actor: str,
    now: datetime | None = None,
    require_preflight: bool = True,
) -> Campaign:
    """The new intermediate becomes the issuing CA and the affected people are fixed.

    Invitations are bulk work and go out separately (``send_invitations``), in chunks with
    progress; the periodic job resumes them if the process stops half way.
    """
    now = _now(now)
    transitions.check(campaign, "start")
    if now < campaign.cutoff:
        raise NotAllowed(
            _("The cut-off (%(at)s) has not come yet.")
            % {"at": f"{campaign.cutoff:%Y-%m-%d %H:%M}"}
        )
    check_texts(campaign)
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
        members = _insert_members(campaign, now)
        campaign = transitions.transition(
            campaign,
            "start",
            actor=actor,
            now=now,
            locked=True,
            data={"members": members, "new": campaign.new_authority.name},
            started_at=now,
            started_by=actor,
        )
        CampaignTask.objects.create(
            campaign=campaign, kind=INVITE, total=members, actor=actor, created_at=now
        )
    return campaign


def link_for(campaign: Campaign) -> str:
    return current().public_url + "/"


def check_texts(campaign: Campaign) -> None:
    """Refuse to send a campaign whose own texts link anywhere but the portal.

    ``create_campaign`` checked them already; this holds even for a row changed since (by
    hand, or before the check existed), because a campaign mail reaches every holder.
    """
    links.check_texts({field: getattr(campaign, field) for field in links.TEXT_FIELDS})


def _context(
    campaign: Campaign, person: Person, *, old_authorities: str, **extra: object
) -> dict[str, object]:
    language = person.language
    return {
        "campaign": campaign.name,
        "campaign_subject": campaign.subject(language),
        "campaign_body": campaign.body(language),
        "deadline": timezone.localtime(campaign.deadline),
        "old_authorities": old_authorities,
        "new_authority": campaign.new_authority.name,
        "link": link_for(campaign),
        **extra,
    }


# The sample recipient of the preview: nobody real, so the page shows no one's data.
SAMPLE_NAMES = {"ja": "見本 花子", "en": "Hanako Sample"}


@dataclass(frozen=True)
class Preview:
    language: str
    to: str
    subject: str
    body: str


def preview_invitation(campaign: Campaign) -> list[Preview]:
    """The invitation as it will go out, in Japanese and in English, for a sample recipient.

    Same context and same rendering as ``send_invitations``; refuses (ForeignLink) texts
    that could not be sent.
    """
    check_texts(campaign)
    old_names = _old_names(campaign)
    previews = []
    for language in ("ja", "en"):
        sample = Person(
            uid="sample",
            email="sample@example.invalid",
            name_ja=SAMPLE_NAMES["ja"],
            name_en=SAMPLE_NAMES["en"],
            language=language,
        )
        item = BulkItem(
            person=sample,
            key="preview",
            context=_context(campaign, sample, old_authorities=old_names),
        )
        rendered, subject, body = render_item("campaign_invite", item)
        previews.append(Preview(rendered, sample.email, subject, body))
    return previews


def _claim(task: CampaignTask) -> bool:
    """Take the task unless another process works on it (its heartbeat is recent)."""
    wall = timezone.now()
    return bool(
        CampaignTask.objects.filter(pk=task.pk)
        .filter(
            Q(state__in=[TaskState.QUEUED, TaskState.FAILED])
            | Q(state=TaskState.RUNNING, heartbeat_at__lt=wall - TASK_LEASE)
            | Q(state=TaskState.RUNNING, heartbeat_at__isnull=True)
        )
        .update(state=TaskState.RUNNING, heartbeat_at=wall, started_at=task.started_at or wall)
    )


def _run_task(
    task: CampaignTask,
    people: Callable[[], Iterable[Person]],
    send: Callable[[list[Person]], None],
    *,
    progress: Progress | None,
) -> CampaignTask:
    """Work through ``people`` in chunks, each chunk one transaction, recording progress.

    The caller has claimed the task. A rerun after a crash starts from the top: the outbox
    keys make the chunks already done no-ops.
    """
    done = 0
    batch: list[Person] = []

    def flush() -> None:
        nonlocal done
        with transaction.atomic():
            send(batch)
        done += len(batch)
        batch.clear()
        CampaignTask.objects.filter(pk=task.pk).update(done=done, heartbeat_at=timezone.now())
        if progress:
            progress(done, task.total)

    try:
        for person in people():
            batch.append(person)
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
    except Exception as exc:
        CampaignTask.objects.filter(pk=task.pk).update(
            state=TaskState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    CampaignTask.objects.filter(pk=task.pk).update(
        state=TaskState.DONE, done=done, total=done, finished_at=timezone.now()
    )
    task.refresh_from_db()
    return task


def _old_names(campaign: Campaign) -> str:
    return ", ".join(a.name for a in campaign.old_authorities.all())


def send_invitations(
    campaign: Campaign, *, now: datetime | None = None, progress: Progress | None = None
) -> CampaignTask | None:
    """E-mail every member once (the outbox key makes a rerun a no-op).

    None when there is nothing to do or another process is already doing it.
    """
    now = _now(now)
    task = (
        CampaignTask.objects.filter(campaign=campaign, kind=INVITE)
        .exclude(state=TaskState.DONE)
        .first()
    )
    if task is None or not _claim(task):
        return None
    campaign = Campaign.objects.select_related("new_authority").get(pk=campaign.pk)
    old_names = _old_names(campaign)

    def people() -> Iterable[Person]:
        return (
            # People who have left get no mail; they stay in the counts.
            Person.objects.filter(campaign_members__campaign=campaign, active=True)
            .order_by("pk")
            .iterator(chunk_size=CHUNK)
        )

    def send(batch: list[Person]) -> None:
        check_texts(campaign)
        items = [
            BulkItem(
                person=person,
                key=f"campaign:{campaign.pk}:invite:{person.pk}",
                context=_context(campaign, person, old_authorities=old_names),
            )
            for person in batch
        ]
        enqueue_many("campaign_invite", items, actor=f"campaign:{campaign.name}", now=now)

    return _run_task(task, people, send, progress=progress)


def due_reminder(campaign: Campaign, now: datetime) -> int | None:
    """The latest reminder (days before the deadline) that is due and not yet sent."""
    if campaign.state not in RUNNING_STATES or now >= campaign.deadline:
        return None
    due = [d for d in campaign.reminder_days if campaign.deadline - timedelta(days=d) <= now]
    if not due:
        return None
    latest = min(due)
    sent = ReminderRound.objects.filter(
        campaign=campaign, deadline=campaign.deadline, days_before=latest
    )
    return None if sent.exists() else latest


def send_reminders(
    campaign: Campaign,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    actor: str = "system",
) -> ReminderRound | None:
    """The due reminder to everyone who has not migrated; earlier missed rounds are skipped."""
    now = _now(now)
    campaign.refresh_from_db()
    days = due_reminder(campaign, now)
    if days is None:
        return None
    with transaction.atomic():
        task = CampaignTask.objects.create(
            campaign=campaign,
            kind=f"{REMINDER}{days}",
            total=queries.not_migrated(campaign, now=now).filter(person__active=True).count(),
            actor=actor,
            created_at=now,
        )
        reminder, created = ReminderRound.objects.get_or_create(
            campaign=campaign,
            deadline=campaign.deadline,
            days_before=days,
            defaults={
                "due_at": campaign.deadline - timedelta(days=days),
                "sent_at": now,
                "task": task,
            },
        )
        if not created:
            transaction.set_rollback(True)
            return None
        record(
            "campaign.reminder_round",
            actor=actor,
            obj=campaign,
            data={"days_before": days, "recipients": task.total},
            at=now,
        )
    if not _claim(task):
        return reminder
    return _send_round(campaign, reminder, task, now=now, progress=progress)


def _send_round(
    campaign: Campaign,
    reminder: ReminderRound,
    task: CampaignTask,
    *,
    now: datetime,
    progress: Progress | None,
) -> ReminderRound:
    old_names = _old_names(campaign)
    days = reminder.days_before
    stamp = f"{reminder.deadline:%Y%m%d}"
    # Who has not migrated when the round goes out (or resumes).
    person_ids = list(queries.not_migrated(campaign, now=now).values_list("person_id", flat=True))

    def people() -> Iterable[Person]:
        for i in range(0, len(person_ids), CHUNK):
            chunk = person_ids[i : i + CHUNK]
            yield from Person.objects.filter(pk__in=chunk, active=True).order_by("pk")

    def send(batch: list[Person]) -> None:
        check_texts(campaign)
        items = [
            BulkItem(
                person=person,
                key=f"campaign:{campaign.pk}:reminder:{stamp}:{days}:{person.pk}",
                context=_context(campaign, person, old_authorities=old_names, days_before=days),
            )
            for person in batch
        ]
        enqueue_many("campaign_reminder", items, actor=f"campaign:{campaign.name}", now=now)

    done = _run_task(task, people, send, progress=progress)
    ReminderRound.objects.filter(pk=reminder.pk).update(recipients=done.done)
    reminder.recipients = done.done
    return reminder


def resume_tasks(campaign: Campaign, *, now: datetime | None = None) -> int:
    """Finish bulk work a stopped process left half done; returns how many tasks ran."""
    now = _now(now)
    ran = 0
    if send_invitations(campaign, now=now) is not None:
        ran += 1
    for reminder in (
        ReminderRound.objects.filter(campaign=campaign)
        .exclude(task__state=TaskState.DONE)
        .exclude(task=None)
        .select_related("task")
    ):
        if reminder.deadline == campaign.deadline and _claim(reminder.task):
            _send_round(campaign, reminder, reminder.task, now=now, progress=None)
            ran += 1
    return ran


def take_snapshot(campaign: Campaign, *, now: datetime | None = None) -> Snapshot:
    now = _now(now)
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
    campaign: Campaign, *, actor: str = "system", now: datetime | None = None
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
        )
    campaign.refresh_from_db()
    return summary


def confirm(campaign: Campaign, *, actor: str, now: datetime | None = None) -> Campaign:
    """The CA admin agrees to the revocation; it happens at the deadline (or now, if past)."""
    now = _now(now)
    with transaction.atomic():
        campaign = transitions.lock(campaign, "confirm")
        campaign = transitions.transition(
            campaign,
            "confirm",
            actor=actor,
            now=now,
            locked=True,
            data={"deadline": campaign.deadline.isoformat(), "summary": campaign.summary},
            confirmed_at=now,
            confirmed_by=actor,
        )
    if now >= campaign.deadline:
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
    if to <= now:
        raise NotAllowed(_("The new deadline must be in the future."))
    with transaction.atomic():
        campaign = transitions.lock(campaign, "postpone")
        if to <= campaign.cutoff:
            raise NotAllowed(_("The deadline must come after the cut-off."))
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
        )
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
                authority_services.revoke_authority(
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
    return campaign


def cancel(campaign: Campaign, *, actor: str, reason: str, now: datetime | None = None) -> Campaign:
    now = _now(now)
    with transaction.atomic():
        campaign = transitions.transition(campaign, "cancel", actor=actor, reason=reason, now=now)
    return campaign


SNAPSHOT_EVERY = timedelta(hours=6)


def tick(now: datetime) -> None:
    """The periodic job: invitations left over, reminders, snapshots, summary, deadline."""
    for campaign in Campaign.objects.filter(state__in=RUNNING_STATES).select_related(
        "new_authority"
    ):
        resume_tasks(campaign, now=now)
        send_reminders(campaign, now=now)
        last = campaign.snapshots.order_by("-at").first()
        if last is None or now - last.at >= SNAPSHOT_EVERY:
            take_snapshot(campaign, now=now)
        if (
            campaign.state == CampaignState.STARTED
            and now >= campaign.deadline - campaign.summary_lead
        ):
            prepare_summary(campaign, now=now)
        campaign.refresh_from_db()
        if campaign.state == CampaignState.CONFIRMED and now >= campaign.deadline:
            revoke_old_authorities(campaign, actor="system", now=now)


@dataclass(frozen=True)
class Banner:
    """What the portal shows a person who still has to switch."""

    campaign: str
    title: str
    body: str
    deadline: datetime
    link: str


def banner_for(
    person: Person, *, now: datetime | None = None, language: str = "ja"
) -> Banner | None:
    """The running campaign this person has not yet migrated in, if any."""
    now = _now(now)
    for campaign in Campaign.objects.filter(
        state__in=RUNNING_STATES, members__person=person
    ).select_related("new_authority"):
        if queries.not_migrated(campaign, now=now).filter(person=person).exists():
            return Banner(
                campaign=campaign.name,
                title=campaign.subject(language)
                or _("Your certificate must be replaced by %(date)s")
                % {"date": f"{timezone.localtime(campaign.deadline):%Y-%m-%d}"},
                body=campaign.body(language),
                deadline=campaign.deadline,
                link=link_for(campaign),
            )
    return None


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
        state=TaskState.RUNNING, heartbeat_at__lt=now - TASK_LEASE
    ).count()
    if overdue:
        return "degraded", {"deadline_passed_unconfirmed": overdue, "stalled_tasks": stuck_tasks}
    if stuck_tasks:
        return "degraded", {"stalled_tasks": stuck_tasks}
    running = Campaign.objects.filter(state__in=RUNNING_STATES).count()
    return "ok", {"running": running}


def note_export(campaign: Campaign, *, actor: str, everyone: bool) -> None:
    """Exports carry names and addresses: each one is in the audit log."""
    with transaction.atomic():
        record("campaign.exported", actor=actor, obj=campaign, data={"everyone": everyone})
