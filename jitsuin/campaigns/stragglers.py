"""The deadline: the old CAs' announced revocation, and one e-mail to those left behind.

Two facts, each written here and nowhere else:

- ``sync_revocation_schedule``: each old CA of a campaign carries the date it is retired
  (``Authority.revocation_scheduled_at``, through ``authorities.revocations.schedule_revocation``),
  the earliest deadline of the running campaigns that retire it. It is derived from the same
  rows as ``queries.retirement_deadlines`` (lifecycle.overlap's registry) and re-derived at
  every change of state or deadline, so the two cannot disagree. The parent's CRLs expire no
  later than that date.
- ``at_deadline``: when the campaign completes (the old CAs revoked), one ``CampaignTask`` of
  kind ``deadline`` mails every member still not migrated, in their language: their
  certificate has stopped working, and where to get a new one. Chunks as in ``mailing``:
  a cursor under the task's row lock and one outbox key per campaign and person, so a chunk
  run twice, a periodic job run twice or a worker killed half way never mails anyone twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.authorities.revocations import schedule_revocation
from jitsuin.campaigns import mailing, members, queries
from jitsuin.campaigns.models import Campaign, CampaignState, CampaignTask, TaskState
from jitsuin.config import current
from jitsuin.lifecycle.models import Person
from jitsuin.notify.services import BulkItem, enqueue_many

DEADLINE = "deadline"
EVENT = "campaign_deadline"
CHUNK = 500
TASK_LEASE = timedelta(minutes=10)
BULK_QUEUE = "bulk"


def sync_revocation_schedule(
    campaign: Campaign, *, actor: str, now: datetime | None = None
) -> None:
    """Announce (or withdraw) the revocation of each old CA of ``campaign``.

    Called by the services on start, postpone, cancel and completion, inside their
    transaction, after the state has changed.
    """
    now = now or timezone.now()
    deadlines = queries.retirement_deadlines(now)
    for authority in campaign.old_authorities.all():
        revoked = authority.revoked_at is not None and authority.revoked_at <= now
        at = None if revoked else deadlines.get(authority.pk)
        schedule_revocation(authority, at, actor=actor, now=now)


def at_deadline(campaign: Campaign, *, actor: str, now: datetime) -> CampaignTask | None:
    """The campaign completed: withdraw the announcement (the revocation is a fact now) and
    open the straggler mail, once. Runs in the completing transaction; the mail goes out
    from the worker after commit, and the periodic job resumes it if it stops."""
    sync_revocation_schedule(campaign, actor=actor, now=now)
    if CampaignTask.objects.filter(campaign=campaign, kind=DEADLINE).exists():
        return None
    waiting = _recipients(campaign, now)
    mail = CampaignTask.objects.create(
        campaign=campaign, kind=DEADLINE, total=waiting.count(), actor=actor, created_at=now
    )
    record(
        "campaign.deadline_mail",
        actor=actor,
        obj=campaign,
        data={"recipients": mail.total},
        at=now,
    )
    transaction.on_commit(lambda: enqueue_chunk(mail.pk))
    return mail


def _recipients(campaign: Campaign, now: datetime) -> QuerySet[Person]:
    waiting = members.not_migrated(campaign, now=now).values("person_id")
    return Person.objects.filter(pk__in=waiting, active=True)


def _revoked_at(campaign: Campaign) -> datetime:
    """When the old CAs were revoked (the deadline, or a later confirmation)."""
    times = [a.revoked_at for a in campaign.old_authorities.all() if a.revoked_at is not None]
    return min(times) if times else campaign.deadline


def _old_names(campaign: Campaign) -> str:
    return ", ".join(a.name for a in campaign.old_authorities.all())


def send_chunk(task_id: int, after: int, *, now: datetime | None = None) -> int | None:
    """The next chunk of the deadline mail; the new cursor, or None when done (or this chunk
    was done already)."""
    now = now or timezone.now()
    with transaction.atomic():
        mail = CampaignTask.objects.select_for_update().get(pk=task_id)
        if mail.state == TaskState.DONE or mail.cursor != after or mail.kind != DEADLINE:
            return None
        campaign = Campaign.objects.select_related("new_authority").get(pk=mail.campaign_id)
        people = list(_recipients(campaign, now).filter(pk__gt=after).order_by("pk")[:CHUNK])
        if people:
            context = {
                "campaign": campaign.name,
                "deadline": timezone.localtime(_revoked_at(campaign)),
                "old_authorities": _old_names(campaign),
                "new_authority": campaign.new_authority.name,
                "link": current().public_url + "/",
            }
            items = [
                BulkItem(
                    person=person,
                    key=f"campaign:{campaign.pk}:deadline:{person.pk}",
                    context=context,
                )
                for person in people
            ]
            enqueue_many(EVENT, items, actor=str(Actor.campaign(campaign.name)), now=now)
            mail.cursor = people[-1].pk
            mail.done += len(people)
        wall = timezone.now()
        mail.heartbeat_at = wall
        mail.started_at = mail.started_at or wall
        finished = len(people) < CHUNK
        if finished:
            mail.state, mail.total, mail.finished_at = TaskState.DONE, mail.done, wall
        else:
            mail.state = TaskState.RUNNING
        mail.save()
    return None if finished else mail.cursor


@task(queue_name=BULK_QUEUE)
def send_deadline_chunk(campaign_task_id: int, after: int) -> int:
    """The worker's side: one chunk, then the next is enqueued."""
    try:
        cursor = send_chunk(campaign_task_id, after)
    except Exception as exc:
        mailing.mark_failed(campaign_task_id, exc)
        raise
    if cursor is not None:
        enqueue_chunk(campaign_task_id, after=cursor)
    return cursor or 0


def enqueue_chunk(campaign_task_id: int, *, after: int = 0) -> None:
    send_deadline_chunk.enqueue(campaign_task_id, after)


def run(mail: CampaignTask, *, now: datetime | None = None) -> CampaignTask | None:
    """Work through the task here from its cursor; None when another process holds it."""
    if not mailing.claim_task(mail):
        return None
    mail.refresh_from_db()
    try:
        while mail.state != TaskState.DONE:
            send_chunk(mail.pk, mail.cursor, now=now)
            mail.refresh_from_db()
    except Exception as exc:
        mailing.mark_failed(mail.pk, exc)
        raise
    return mail


def resume(now: datetime) -> int:
    """For the periodic job: finish deadline mail a stopped worker left half done (a queued
    task never picked up, a failed one, or a running one whose heartbeat is stale)."""
    ran = 0
    unfinished = CampaignTask.objects.filter(
        kind=DEADLINE, campaign__state=CampaignState.COMPLETED
    ).exclude(state=TaskState.DONE)
    for mail in unfinished:
        if mail.state == TaskState.QUEUED and now - mail.created_at < TASK_LEASE:
            continue  # its first chunk is still on its way to the worker
        if run(mail, now=now) is not None:
            ran += 1
    return ran
