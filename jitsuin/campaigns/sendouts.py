"""Campaign mail that staff send by hand: a test to themselves, a reminder now, and the
invitation again to chosen people. The console and the CLI call these; each is audited.

- ``send_test``: the invitation (or reminder) for a made-up sample member, to the staff
  member's own address, subject marked ``[TEST]``, through the normal outbox.
- ``remind_now``: one reminder round to everyone not migrated, as a ``ReminderRound`` marked
  ``manual`` with its ``CampaignTask``: the same chunks and worker as scheduled reminders.
  The campaign row is locked while the round is opened, and a round is refused while another
  reminder round is being sent or within ``MANUAL_GAP`` of the last manual one, so a double
  click (or two staff at once) sends one round.
- ``resend_invitations``: the invitation again to at most ``MAX_RESEND`` chosen members, only
  those not yet migrated; the outbox key carries the minute, so a double click sends once.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.campaigns import mailing, mailtext, members, tasks
from jitsuin.campaigns.models import (
    RUNNING_STATES,
    Campaign,
    CampaignTask,
    ReminderRound,
    TaskState,
)
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.services import BulkItem, enqueue, enqueue_many

MAX_RESEND = 200
MANUAL_GAP = timedelta(minutes=10)
MANUAL_KIND = f"{mailing.REMINDER}manual"
TEST_MARK = "[TEST] "
LANGUAGES = ("ja", "en")


class NoAddress(NotAllowed):
    code = "no_address"


class ReminderBusy(NotAllowed):
    code = "reminder_busy"


def send_test(
    campaign: Campaign,
    *,
    to: str,
    actor: str,
    languages: Iterable[str] = LANGUAGES,
    kind: str = mailing.INVITE,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """The campaign's mail for a sample member, to ``to`` only, one per language."""
    if not to:
        raise NoAddress(
            _(
                "Your account has no e-mail address, so a test cannot be sent to you. "
                "Ask an administrator to add one."
            )
        )
    langs = [lang for lang in languages if lang in LANGUAGES] or list(LANGUAGES)
    mailing.check_texts(campaign)
    now = now or timezone.now()
    old_names = ", ".join(a.name for a in campaign.old_authorities.all())
    nonce = secrets.token_hex(4)
    messages = []
    with transaction.atomic():
        for lang in langs:
            sample = mailing.sample_person(lang, email=to)
            context = mailing.mail_context(
                campaign, sample, kind, serial=mailtext.SAMPLE_SERIAL, old_names=old_names
            )
            messages.append(
                enqueue(
                    mailing.event_of(kind),
                    to=to,
                    key=f"campaign:{campaign.pk}:test:{kind}:{lang}:{now:%Y%m%d%H%M%S}:{nonce}",
                    context={**context, "subject_mark": TEST_MARK},
                    lang=lang,
                    now=now,
                )
            )
        record(
            "campaign.test_sent",
            actor=actor,
            obj=campaign,
            data={"to": to, "kind": kind, "languages": langs},
            at=now,
        )
    return messages


def remind_now(campaign: Campaign, *, actor: str, now: datetime | None = None) -> ReminderRound:
    """Open one reminder round now (to whoever has not migrated); the worker sends it."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state not in RUNNING_STATES or now >= campaign.deadline:
            raise NotAllowed(
                _("Reminders are sent only while the campaign runs, before its deadline.")
            )
        busy = (
            CampaignTask.objects.filter(campaign=campaign, kind__startswith=mailing.REMINDER)
            .exclude(state=TaskState.DONE)
            .exists()
        )
        last = (
            ReminderRound.objects.filter(campaign=campaign, manual=True)
            .order_by("-sent_at")
            .first()
        )
        if busy or (last is not None and now - last.sent_at < MANUAL_GAP):
            raise ReminderBusy(
                _(
                    "A reminder round is being sent or was sent at %(at)s; "
                    "wait %(minutes)s minutes before another."
                )
                % {
                    "at": f"{timezone.localtime(last.sent_at if last else now):%H:%M}",
                    "minutes": int(MANUAL_GAP.total_seconds() // 60),
                }
            )
        total = members.not_migrated(campaign, now=now).filter(person__active=True).count()
        task = CampaignTask.objects.create(
            campaign=campaign, kind=MANUAL_KIND, total=total, actor=actor, created_at=now
        )
        days = max(1, math.ceil((campaign.deadline - now) / timedelta(days=1)))
        reminder = ReminderRound.objects.create(
            campaign=campaign,
            deadline=campaign.deadline,
            days_before=days,
            due_at=now,
            sent_at=now,
            task=task,
            manual=True,
            requested_by=actor,
        )
        record(
            "campaign.reminder_round",
            actor=actor,
            obj=campaign,
            data={"manual": True, "days_before": days, "recipients": total},
            at=now,
        )
        transaction.on_commit(lambda: tasks.enqueue_chunk(task.pk))
    return reminder


def resend_invitations(
    campaign: Campaign, person_ids: Iterable[int], *, actor: str, now: datetime | None = None
) -> list[str]:
    """The invitation again to the chosen members who have not migrated; their uids."""
    chosen = sorted({int(pk) for pk in person_ids})
    if not chosen:
        raise NotAllowed(_("Choose at least one person."))
    if len(chosen) > MAX_RESEND:
        raise NotAllowed(_("At most %(n)s people at a time.") % {"n": MAX_RESEND})
    if campaign.state not in RUNNING_STATES:
        raise NotAllowed(_("Invitations are sent again only while the campaign runs."))
    now = now or timezone.now()
    mailing.check_texts(campaign)
    old_names = ", ".join(a.name for a in campaign.old_authorities.all())
    with transaction.atomic():
        waiting = members.not_migrated(campaign, now=now).filter(person_id__in=chosen)
        people = list(
            Person.objects.filter(pk__in=waiting.values("person_id"), active=True).order_by("pk")
        )
        serials = mailing.member_serials(campaign, people)
        archived = members.with_archived_keys(campaign, people)
        items = [
            BulkItem(
                person=person,
                key=f"campaign:{campaign.pk}:invite:{person.pk}:resend:{now:%Y%m%d%H%M}",
                context=mailing.mail_context(
                    campaign,
                    person,
                    mailing.INVITE,
                    serial=serials.get(person.pk, ""),
                    old_names=old_names,
                    key_recoverable=person.pk in archived,
                ),
            )
            for person in people
        ]
        queued = enqueue_many("campaign_invite", items, actor=actor, now=now) if items else 0
        record(
            "campaign.invitations_resent",
            actor=actor,
            obj=campaign,
            data={
                "uids": [p.uid for p in people],
                "queued": queued,
                "skipped": len(chosen) - len(people),
            },
            at=now,
        )
    return [p.uid for p in people]
