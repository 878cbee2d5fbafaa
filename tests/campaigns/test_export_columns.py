"""The straggler CSV for department offices: affiliation, the category as a code and in the
reader's language, the reminders each person got; serials as the console writes them."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from jitsuin.campaigns import mailing, services
from jitsuin.campaigns.export import csv_rows
from jitsuin.lifecycle.models import Person
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(db):
    scene = f.scene()
    campaign = f.campaign_starting_now(scene, 3, name="g1-to-g2", real=1)
    campaign = services.start(campaign, actor="staff:ca1", require_preflight=False)
    mailing.send_invitations(campaign)
    Person.objects.filter(pk__in=campaign.members.values("person")).update(affiliation="工学部")
    return campaign


def _table(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def test_rows_carry_affiliation_category_code_and_label_in_the_readers_language(live):
    now = timezone.now()
    japanese = _table(csv_rows(live, now=now, language="ja"))
    english = _table(csv_rows(live, now=now, language="en"))
    assert {r["affiliation"] for r in japanese} == {"工学部"}
    assert {r["category"] for r in japanese} == {"not_started"}
    assert {r["category_label"] for r in english} == {"Not started"}
    assert {r["category_label"] for r in japanese} == {"未着手"}
    assert all(r["reminders_sent"] == "0" and r["last_reminder_at"] == "" for r in japanese)


def test_reminder_history_counts_each_reminder_a_person_got(live):
    member = live.members.select_related("person").first()
    for days in (7, 3):
        OutboxMessage.objects.create(
            key=f"campaign:{live.pk}:reminder:20261210:{days}:{member.person.pk}",
            event="campaign_reminder",
            person=member.person,
            to=member.person.email,
            language="ja",
            subject="s",
            body="b",
            message_id=f"<r{days}@x>",
            created_at=timezone.now(),
            next_attempt_at=timezone.now(),
        )
    rows = {r["uid"]: r for r in _table(csv_rows(live, now=timezone.now()))}
    row = rows[member.person.uid]
    assert row["reminders_sent"] == "2" and row["reminder_days"] == "7,3"
    assert row["last_reminder_at"].endswith("+09:00")


def test_old_serials_keep_their_leading_zero(live):
    rows = _table(csv_rows(live, now=timezone.now(), stragglers_only=False))
    serials = [r["old_serial"] for r in rows if r["old_serial"]]
    assert serials and all(len(s) % 2 == 0 and s == s.upper() for s in serials)


def test_the_console_export_uses_the_viewers_language(live):
    client = sign_in(staff("op-csv", "operator"))
    client.cookies["jitsuin_lang"] = "en"
    body = b"".join(client.get(f"/console/campaigns/{live.pk}/export.csv").streaming_content)
    assert "Not started" in body.decode("utf-8-sig")
