"""Campaign mail: invitations and reminders, put in the outbox in chunks with progress.

Bulk work is a ``CampaignTask`` row (what the console's progress bars read). It advances one
chunk at a time (:func:`send_chunk`): one transaction locks the row, puts the next ``CHUNK``
people after ``cursor`` in the outbox and moves ``cursor`` and ``done``. A chunk that runs twice
finds the cursor moved and does nothing, and the outbox keys (one per campaign, round and
person) make a mail that was already queued a no-op, so every person gets each mail once.

The worker runs the chunks as tasks (``tasks.send_chunk``, one per chunk, the next enqueued when
one commits). The CLI and the periodic job run them in-process with :func:`run_task`, which
takes the row's lease first: a task whose worker was killed (stale heartbeat) or that failed is
resumed from its cursor by the next periodic tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import SYSTEM, record
from jitsuin.campaigns import links, mailtext, members
from jitsuin.campaigns.models import (
    RUNNING_STATES,
    Campaign,
    CampaignTask,
    Member,
    ReminderRound,
    TaskState,
)
from jitsuin.config import current
from jitsuin.lifecycle.models import Person
from jitsuin.notify.public_url import mail_url
from jitsuin.notify.services import BulkItem, enqueue_many, recipient_language, render_item
from jitsuin.pki.names import Serial

Progress = Callable[[int, int], None]  # (done, total)
CHUNK = 500
# A running task whose heartbeat is older than this is taken over by another process.
TASK_LEASE = timedelta(minutes=10)
INVITE = "invite"
REMINDER = "reminder-"


def link_for(campaign: Campaign) -> str:
    """The portal link in campaign mail: the web server's recorded public URL."""
    return mail_url() + "/"


def check_texts(campaign: Campaign) -> None:
    """Refuse to send a campaign whose own texts link anywhere but the portal, or use
    anything but the known placeholders.

    ``create_campaign`` checked them already; this holds even for a row changed since (by
    hand, or before the check existed), because a campaign mail reaches every holder.
    """
    texts = {field: getattr(campaign, field) for field in links.TEXT_FIELDS}
    mailtext.check_texts(texts)
    links.check_texts(texts)


def _old_names(campaign: Campaign) -> str:
    return ", ".join(a.name for a in campaign.old_authorities.all())


def _texts(campaign: Campaign, kind: str, language: str) -> tuple[str, str]:
    """The subject and body templates: the campaign's own, else the default, per language."""
    if kind == INVITE:
        subject = (
            getattr(campaign, f"subject_{language}", "") or mailtext.DEFAULT_SUBJECTS[language]
        )
        body = getattr(campaign, f"body_{language}", "") or mailtext.DEFAULT_BODIES[language]
        return subject, body
    return mailtext.REMINDER_SUBJECTS[language], mailtext.REMINDER_BODIES[language]


def mail_context(
    campaign: Campaign,
    person: Person,
    kind: str,
    *,
    serial: str,
    old_names: str,
    key_recoverable: bool = False,
) -> dict[str, object]:
    """What the notify templates of ``kind`` (invite or reminder) get for ``person``: the
    campaign's subject and body with the placeholders filled in, in the person's language,
    and whether their old key is archived (S/MIME: "it stays recoverable", not "keep it")."""
    language = recipient_language(person)
    values = mailtext.Values(
        name=person.display_name(language),
        deadline=mailtext.format_deadline(campaign.deadline, language),
        serial=serial,
        link=link_for(campaign),
        old_ca=old_names,
        new_ca=campaign.new_authority.name,
        helpdesk=current().helpdesk_email,
    )
    subject, body = _texts(campaign, kind, language)
    return {
        "name": values.name,
        "campaign_subject": mailtext.render(subject, values),
        "campaign_body": mailtext.render(body, values).strip(),
        "key_recoverable": key_recoverable,
    }


def member_serials(campaign: Campaign, people: list[Person]) -> dict[int, str]:
    """Each member's old certificate serial as the portal and Windows show it."""
    rows = Member.objects.filter(campaign=campaign, person__in=people).values_list(
        "person_id", "old_certificate__serial"
    )
    return {pk: Serial.parse(serial).hex_pairs if serial else "" for pk, serial in rows}


def event_of(kind: str) -> str:
    return "campaign_invite" if kind == INVITE else "campaign_reminder"


@dataclass(frozen=True)
class Preview:
    language: str
    to: str
    subject: str
    body: str


def render_campaign_mail(
    campaign: Campaign, person: Person, kind: str = INVITE, *, serial: str | None = None
) -> Preview:
    """One campaign e-mail exactly as it goes into the outbox (the same ``render_item``).

    ``kind`` is ``invite`` or ``reminder``; the serial is the member's old certificate's
    unless given (a sample person has none).
    """
    if serial is None:
        serial = member_serials(campaign, [person]).get(person.pk, "") if person.pk else ""
    recoverable = bool(person.pk) and members.has_archived_key(campaign, person)
    item = BulkItem(
        person=person,
        key="preview",
        context=mail_context(
            campaign,
            person,
            kind,
            serial=serial,
            old_names=_old_names(campaign),
            key_recoverable=recoverable,
        ),
    )
    language, subject, body = render_item(event_of(kind), item)
    return Preview(language, person.email, subject, body)


# The sample recipient of the preview: nobody real, so the page shows no one's data.
SAMPLE_NAMES = {"ja": "見本 花子", "en": "Hanako Sample"}


def sample_person(language: str, email: str = "sample@example.invalid") -> Person:
    return Person(
        uid="sample",
        email=email,
        name_ja=SAMPLE_NAMES["ja"],
        name_en=SAMPLE_NAMES["en"],
        language=language,
    )


def preview_invitation(campaign: Campaign, kind: str = INVITE) -> list[Preview]:
    """The invitation (or reminder) as it will go out, in Japanese and in English, for a
    sample recipient. Refuses (ForeignLink, BadTemplate) texts that could not be sent."""
    check_texts(campaign)
    return [
        render_campaign_mail(campaign, sample_person(lang), kind, serial=mailtext.SAMPLE_SERIAL)
        for lang in ("ja", "en")
    ]


def _recipients(task: CampaignTask, campaign: Campaign, now: datetime) -> QuerySet[Person]:
    """Who the task writes to; people who have left get no mail (they stay in the counts)."""
    if task.kind == INVITE:
        return Person.objects.filter(campaign_members__campaign=campaign, active=True)
    # A reminder goes to whoever has not migrated when its chunk goes out.
    waiting = members.not_migrated(campaign, now=now).values("person_id")
    return Person.objects.filter(pk__in=waiting, active=True)


def _items(
    task: CampaignTask, campaign: Campaign, people: list[Person]
) -> tuple[str, list[BulkItem]]:
    old_names, serials = _old_names(campaign), member_serials(campaign, people)
    archived = members.with_archived_keys(campaign, people)
    kind = INVITE if task.kind == INVITE else "reminder"
    if task.kind == INVITE:
        prefix = f"campaign:{campaign.pk}:invite"
    elif task.reminder_round.manual:
        prefix = f"campaign:{campaign.pk}:reminder:manual:{task.reminder_round.pk}"
    else:
        reminder = task.reminder_round
        days, stamp = reminder.days_before, f"{reminder.deadline:%Y%m%d}"
        prefix = f"campaign:{campaign.pk}:reminder:{stamp}:{days}"
    return event_of(kind), [
        BulkItem(
            person=person,
            key=f"{prefix}:{person.pk}",
            context=mail_context(
                campaign,
                person,
                kind,
                serial=serials.get(person.pk, ""),
                old_names=old_names,
                key_recoverable=person.pk in archived,
            ),
        )
        for person in people
    ]


def send_chunk(task_id: int, after: int, *, now: datetime | None = None) -> int | None:
    """Put the next chunk of the task's mail (people after ``after``) in the outbox.

    Returns the new cursor when more people remain, None when the task is finished or this
    chunk was done already (``after`` is not the task's cursor any more).
    """
    now = now or timezone.now()
    with transaction.atomic():
        task = CampaignTask.objects.select_for_update().get(pk=task_id)
        if task.state == TaskState.DONE or task.cursor != after:
            return None
        campaign = Campaign.objects.select_related("new_authority").get(pk=task.campaign_id)
        people = list(_recipients(task, campaign, now).filter(pk__gt=after).order_by("pk")[:CHUNK])
        if people:
            check_texts(campaign)
            event, items = _items(task, campaign, people)
            enqueue_many(event, items, actor=str(Actor.campaign(campaign.name)), now=now)
            task.cursor = people[-1].pk
            task.done += len(people)
        wall = timezone.now()
        task.heartbeat_at = wall
        task.started_at = task.started_at or wall
        finished = len(people) < CHUNK
        if finished:
            task.state, task.total, task.finished_at = TaskState.DONE, task.done, wall
            ReminderRound.objects.filter(task=task).update(recipients=task.done)
        else:
            task.state = TaskState.RUNNING
        task.save()
    return None if finished else task.cursor


def claim_task(task: CampaignTask) -> bool:
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


def run_task(
    task: CampaignTask, *, now: datetime | None = None, progress: Progress | None = None
) -> CampaignTask | None:
    """Take the task's lease and work through its chunks here, from its cursor.

    None when another process holds the lease. A failure marks the task failed (the
    periodic job resumes it) and is raised.
    """
    if not claim_task(task):
        return None
    task.refresh_from_db()
    try:
        # From the row's cursor each time: a queued chunk task may be working alongside.
        while task.state != TaskState.DONE:
            send_chunk(task.pk, task.cursor, now=now)
            task.refresh_from_db()
            if progress:
                progress(task.done, task.total)
    except Exception as exc:
        mark_failed(task.pk, exc)
        raise
    return task


def mark_failed(task_id: int, exc: BaseException) -> None:
    """The console shows the error; the periodic job resumes the task from its cursor."""
    CampaignTask.objects.filter(pk=task_id).exclude(state=TaskState.DONE).update(
        state=TaskState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
    )


def send_invitations(
    campaign: Campaign, *, now: datetime | None = None, progress: Progress | None = None
) -> CampaignTask | None:
    """E-mail every member once (the outbox key makes a rerun a no-op).

    None when there is nothing to do or another process is already doing it.
    """
    task = (
        CampaignTask.objects.filter(campaign=campaign, kind=INVITE)
        .exclude(state=TaskState.DONE)
        .first()
    )
    return None if task is None else run_task(task, now=now, progress=progress)


def due_reminder(campaign: Campaign, now: datetime) -> int | None:
    """The latest reminder (days before the deadline) that is due and not yet sent."""
    if campaign.state not in RUNNING_STATES or now >= campaign.deadline:
        return None
    due = [d for d in campaign.reminder_days if campaign.deadline - timedelta(days=d) <= now]
    if not due:
        return None
    latest = min(due)
    sent = ReminderRound.objects.filter(
        campaign=campaign, deadline=campaign.deadline, days_before=latest, manual=False
    )
    return None if sent.exists() else latest


def open_reminder_round(campaign: Campaign, *, now: datetime, actor: str) -> ReminderRound | None:
    """Record the due reminder round and its task (once per round); None if none is due."""
    campaign.refresh_from_db()
    days = due_reminder(campaign, now)
    if days is None:
        return None
    with transaction.atomic():
        task = CampaignTask.objects.create(
            campaign=campaign,
            kind=f"{REMINDER}{days}",
            total=members.not_migrated(campaign, now=now).filter(person__active=True).count(),
            actor=actor,
            created_at=now,
        )
        reminder, created = ReminderRound.objects.get_or_create(
            campaign=campaign,
            deadline=campaign.deadline,
            days_before=days,
            manual=False,  # a round sent by hand does not stand in for the scheduled one
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
    return reminder


def send_reminders(
    campaign: Campaign,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    actor: str = SYSTEM,
) -> ReminderRound | None:
    """The due reminder to everyone who has not migrated; earlier missed rounds are skipped."""
    now = now or timezone.now()
    reminder = open_reminder_round(campaign, now=now, actor=actor)
    if reminder is None:
        return None
    assert reminder.task is not None
    run_task(reminder.task, now=now, progress=progress)
    reminder.refresh_from_db()
    return reminder


def resume_tasks(campaign: Campaign, *, now: datetime | None = None) -> int:
    """Finish bulk work a stopped process left half done; returns how many tasks ran."""
    ran = 0
    for task in CampaignTask.objects.filter(campaign=campaign).exclude(state=TaskState.DONE):
        if task.kind.startswith(REMINDER):
            reminder = ReminderRound.objects.filter(task=task).first()
            if reminder is None or reminder.deadline != campaign.deadline:
                continue  # a round for a deadline that was moved since: not sent late
        if run_task(task, now=now) is not None:
            ran += 1
    return ran
