"""`jitsuin campaign preview | test-send | remind --now | resend` and the public URL warning."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import mailing, sendouts, services
from jitsuin.campaigns.models import ReminderRound
from jitsuin.config import current
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.public_url import record_server_url
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db
DURING = f.DURING_CAMPAIGN.isoformat()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def started(campaign, published):
    persons = f.people(4)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    mailing.send_invitations(campaign, now=f.CUTOFF)
    f.real_certificate(persons[1], published.new, published.profiles["overlap"], at=f.CUTOFF)
    return campaign, persons


def test_preview_prints_both_languages(campaign):
    text = run("preview", campaign.name)
    assert "=== ja" in text and "=== en" in text and "見本 花子 様" in text
    assert "Reminder" in run("preview", campaign.name, "--reminder")


def test_test_send_goes_to_the_given_address_only(campaign):
    text = run("test-send", campaign.name, "--to", "me@example.ac.jp", "--language", "en")
    assert "me@example.ac.jp" in text
    [message] = OutboxMessage.objects.all()
    assert message.to == "me@example.ac.jp" and message.subject.startswith("[TEST] [jitsuin] ")
    assert AuditEvent.objects.filter(action="campaign.test_sent").count() == 1


def test_remind_now_sends_one_round_and_refuses_a_second_at_once(started):
    campaign, persons = started
    assert "3 people" in run("--at", DURING, "remind", campaign.name, "--now")
    with pytest.raises(CommandError, match="reminder|督促"):
        run("--at", DURING, "remind", campaign.name, "--now")
    assert ReminderRound.objects.filter(manual=True).count() == 1
    reminded = OutboxMessage.objects.filter(event="campaign_reminder")
    assert reminded.count() == 3 and not reminded.filter(person=persons[1]).exists()


def test_resend_reaches_only_those_not_migrated(started):
    campaign, persons = started
    text = run(
        "--at",
        DURING,
        "resend",
        campaign.name,
        "--person",
        persons[1].uid,
        "--person",
        persons[2].uid,
        "--person",
        "nobody",
    )
    assert f"sent again to 1: {persons[2].uid}" in text
    assert f"skipped (migrated, not members or unknown): nobody, {persons[1].uid}" in text
    again = OutboxMessage.objects.filter(key__contains=":resend:")
    assert list(again.values_list("person_id", flat=True)) == [persons[2].pk]


def test_the_cli_warns_when_its_url_is_not_the_servers_and_uses_the_servers(
    started, monkeypatch, capsys
):
    campaign, persons = started
    record_server_url("https://cert.example.ac.jp")
    monkeypatch.setenv("JITSUIN_PUBLIC_URL", "http://localhost:9999")
    current.cache_clear()
    run("--at", DURING, "resend", campaign.name, "--person", persons[0].uid)
    assert "the server's is https://cert.example.ac.jp" in capsys.readouterr().err
    [message] = OutboxMessage.objects.filter(key__contains=":resend:")
    assert "https://cert.example.ac.jp/" in message.body and "localhost:9999" not in message.body


def test_a_round_sent_by_hand_does_not_stand_in_for_the_scheduled_one(started):
    campaign, _persons = started
    by_hand = f.DEADLINE - f.timedelta(hours=23)  # the 1-day round is due but not sent yet
    run("--at", by_hand.isoformat(), "remind", campaign.name, "--now")
    assert ReminderRound.objects.get(manual=True).days_before == 1
    text = run("--at", (by_hand + f.timedelta(minutes=1)).isoformat(), "remind", campaign.name)
    assert "reminder 1 days before the deadline: 3 people" in text
    assert OutboxMessage.objects.filter(event="campaign_reminder").count() == 6


@pytest.mark.django_db(transaction=True)
def test_four_clicks_at_once_open_one_reminder_round():
    scene = f.scene()
    campaign = services.start(
        f.campaign_starting_now(scene, 3, name="race", real=1), actor="t", now=timezone.now()
    )
    barrier, outcomes = threading.Barrier(4), []

    def click():
        barrier.wait()
        try:
            sendouts.remind_now(campaign, actor="staff:ca1")
            outcomes.append("opened")
        except sendouts.ReminderBusy:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["opened", "refused", "refused", "refused"]
    assert ReminderRound.objects.filter(campaign=campaign, manual=True).count() == 1
