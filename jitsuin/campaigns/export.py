"""The members of a campaign as CSV, streamed row by row.

For the department offices that chase stragglers: affiliation, the category as a stable code
and as words in the reader's language, and the reminders each person was sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from django.utils import timezone, translation

from jitsuin.campaigns import members
from jitsuin.campaigns.models import Campaign
from jitsuin.campaigns.queries import CATEGORY_LABELS
from jitsuin.notify.models import OutboxMessage

COLUMNS = [
    "uid",
    "name",
    "affiliation",
    "email",
    "category",
    "category_label",
    "last_seen_at",
    "old_serial",
    "reminders_sent",
    "last_reminder_at",
    "reminder_days",
]


@dataclass
class Reminders:
    """The reminders one person was sent in this campaign."""

    count: int = 0
    last_at: datetime | None = None
    days: list[int] = field(default_factory=list)


def _cell(value: str) -> str:
    # A cell a spreadsheet would read as a formula is written as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _local(value: datetime | None, zone: tzinfo | None = None) -> str:
    zone = zone or timezone.get_current_timezone()
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def reminder_key_prefix(campaign: Campaign) -> str:
    """How the outbox keys of a campaign's reminders start (``mailing`` writes them as
    ``campaign:<pk>:reminder:<deadline>:<days>:<person>``)."""
    return f"campaign:{campaign.pk}:reminder:"


def reminder_history(campaign: Campaign) -> dict[int, Reminders]:
    """{person id: reminders sent}, from the outbox (one query, keys by campaign)."""
    history: dict[int, Reminders] = defaultdict(Reminders)
    prefix = reminder_key_prefix(campaign)
    sent = OutboxMessage.objects.filter(key__startswith=prefix, resend_of__isnull=True)
    for person_id, key, created_at in sent.values_list("person_id", "key", "created_at"):
        if person_id is None:
            continue
        entry = history[person_id]
        entry.count += 1
        entry.last_at = max(filter(None, (entry.last_at, created_at)))
        # campaign:<pk>:reminder:<deadline>:<days>:<person>
        days = key.removeprefix(prefix).split(":")
        if len(days) >= 2 and days[1].isdigit():
            entry.days.append(int(days[1]))
    return history


def csv_rows(
    campaign: Campaign, *, now: datetime, stragglers_only: bool = True, language: str = "ja"
) -> Iterator[list[str]]:
    yield COLUMNS
    history = reminder_history(campaign)
    # Once, not per row: at 1,000,000 rows switching the language per row was a third of it.
    with translation.override(language):
        labels = {category: str(CATEGORY_LABELS[category]) for category in CATEGORY_LABELS}
    zone = timezone.get_current_timezone()
    for row in members.member_rows(
        campaign, now=now, stragglers_only=stragglers_only, language=language
    ):
        sent = history.get(row.person_id)
        yield [
            _cell(row.uid),
            _cell(row.name),
            _cell(row.affiliation),
            _cell(row.email),
            row.category,
            labels[row.category],
            _local(row.last_seen_at, zone),
            row.old_serial,
            # Most members were sent no reminder (yet): their three cells are constants.
            *(_reminder_cells(sent, zone) if sent else NO_REMINDERS),
        ]


NO_REMINDERS = ("0", "", "")


def _reminder_cells(sent: Reminders, zone: tzinfo) -> tuple[str, str, str]:
    days = ",".join(str(d) for d in sorted(sent.days, reverse=True))
    return str(sent.count), _local(sent.last_at, zone), days
