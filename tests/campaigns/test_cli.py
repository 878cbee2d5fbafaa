"""`jitsuin campaign ...` end to end on a small scene."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import AuthorityStatus
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.console.roles import ensure_roles
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


def iso(at) -> str:
    return at.isoformat()


def ca_admins(*names: str) -> None:
    ensure_roles()
    for name in names:
        user = get_user_model().objects.create_user(name)
        user.groups.add(Group.objects.get(name="ca-admin"))


def test_the_whole_campaign_from_the_command_line(scene, tmp_path):
    ca_admins("ca1", "ca2")
    persons = f.people(6)
    f.holders(persons, scene.old, scene.profiles["overlap"], at=f.OLD_CERTS_ISSUED, real=1)
    before = iso(f.CUTOFF - timedelta(days=7))
    text = run(
        "--at",
        before,
        "create",
        "g2",
        "--old",
        scene.old.name,
        "--new",
        scene.new.name,
        "--cutoff",
        iso(f.CUTOFF),
        "--deadline",
        "2026-07-01T09:00",  # Japan time
        "--reminders",
        "14,1",
        "--subject-ja",
        "切り替えのお願い",
    )
    assert "created campaign g2" in text
    campaign = Campaign.objects.get(name="g2")
    assert campaign.deadline == f.DEADLINE and campaign.reminder_days == [14, 1]

    plan = json.loads(run("--at", before, "plan", "g2", "--json"))
    assert (plan["certificates"], plan["people"]) == (6, 6)
    assert "6 valid certificates held by 6 people" in run("--at", before, "plan", "g2")

    shown = run("--at", iso(f.CUTOFF), "start", "g2")  # without --yes: the numbers only
    assert "6 人に今すぐ案内メール" in shown and "nothing started" in shown  # Japanese by default
    with pytest.raises(CommandError, match="理由"):  # --yes needs a reason
        run("--at", iso(f.CUTOFF), "start", "g2", "--yes")
    with pytest.raises(CommandError, match="pre-flight"):
        run("--at", iso(f.CUTOFF), "start", "g2", "--yes", "--reason", "term")
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=f.CUTOFF - timedelta(hours=1))
    started = run("--at", iso(f.CUTOFF), "start", "g2", "--yes", "--reason", "term")
    assert "PASS crls_fresh" in started and "6 people are in the campaign" in started
    assert "invitations in the outbox: 6" in started
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == 6

    f.real_certificate(persons[0], scene.new, scene.profiles["overlap"], at=f.DURING_CAMPAIGN)
    status = run("--at", iso(f.DURING_CAMPAIGN), "status", "g2")
    assert "migrated" in status and "s000001" in status
    counts = json.loads(run("--at", iso(f.DURING_CAMPAIGN), "status", "g2", "--json"))
    assert (counts["migrated"], counts["not_started"]) == (1, 5)

    target = tmp_path / "stragglers.csv"
    run("--at", iso(f.DURING_CAMPAIGN), "export", "g2", "-o", str(target))
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 5 and {r["category"] for r in rows} == {"not_started"}

    assert "5 people" in run("--at", iso(f.DEADLINE - timedelta(days=13)), "remind", "g2")
    assert "no reminder is due" in run("--at", iso(f.DEADLINE - timedelta(days=13)), "remind", "g2")

    summary = run("--at", iso(f.DEADLINE - timedelta(days=2)), "confirm", "g2")
    assert "1 of 6 migrated" in summary and "nothing confirmed" in summary
    assert "6 人中 5 人（83 %）が" in summary and "Wi-Fi/VPN/SSO を使えなくなります" in summary
    confirm_at = ("--at", iso(f.DEADLINE - timedelta(days=2)), "confirm", "g2", "--yes")
    run(*confirm_at, "--reason", "checked", "--as", "ca1")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.AWAITING_CONFIRMATION
    with pytest.raises(CommandError, match="別の CA 管理者"):  # the same admin twice
        run(*confirm_at, "--reason", "again", "--as", "ca1")
    run(*confirm_at, "--reason", "agreed", "--as", "ca2")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CONFIRMED
    run(
        "--at",
        iso(f.DEADLINE - timedelta(days=1)),
        "postpone",
        "g2",
        "--to",
        iso(f.DEADLINE + timedelta(days=7)),
        "--reason",
        "exams",
    )
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.STARTED
    late = ("--at", iso(f.DEADLINE + timedelta(days=8)), "confirm", "g2", "--yes")
    run(*late, "--reason", "after the exams", "--as", "ca1")
    run(*late, "--reason", "after the exams", "--as", "ca2")
    scene.old.refresh_from_db()
    assert scene.old.status == AuthorityStatus.REVOKED
    assert scene.old.revoked_at == f.DEADLINE + timedelta(days=8)  # confirmed a day late
    assert "g2" in run("list")
    with pytest.raises(CommandError, match="すでに終了"):  # Japanese by default
        run("cancel", "g2", "--reason", "too late")


def test_the_cli_confirms_only_as_two_named_ca_admins_with_a_reason(published, campaign):
    ca_admins("ca1", "ca2")
    ensure_roles()
    get_user_model().objects.create_user("hd1").groups.add(Group.objects.get(name="helpdesk"))
    get_user_model().objects.create_user("gone", is_active=False).groups.add(
        Group.objects.get(name="ca-admin")
    )
    f.holders(f.people(3), published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    run("--at", iso(f.CUTOFF), "start", "g1-to-g2", "--yes", "--reason", "term")
    confirm = ("--at", iso(f.DEADLINE - timedelta(days=2)), "confirm", "g1-to-g2", "--yes")
    refusals = {
        "no --as": ((*confirm, "--reason", "ok"), "--as USERNAME"),
        "helpdesk": ((*confirm, "--reason", "ok", "--as", "hd1"), "not an active CA admin"),
        "inactive": ((*confirm, "--reason", "ok", "--as", "gone"), "not an active CA admin"),
        "unknown": ((*confirm, "--reason", "ok", "--as", "nobody"), "not an active CA admin"),
        "no reason": ((*confirm, "--as", "ca1"), "理由"),
    }
    for args, words in refusals.values():
        with pytest.raises(CommandError, match=words):
            run(*args)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.first_confirmed_by) == (
        CampaignState.AWAITING_CONFIRMATION,
        "",
    )

    first = run(*confirm, "--reason", "numbers checked", "--as", "ca1")
    assert "first confirmation recorded for staff:ca1" in first
    shown = run("--at", iso(f.DEADLINE - timedelta(days=2)), "confirm", "g1-to-g2")
    assert "first confirmed by staff:ca1" in shown and "(numbers checked)" in shown
    run(*confirm, "--reason", "agreed", "--as", "ca2")
    campaign.refresh_from_db()
    assert (campaign.state, campaign.confirmed_by) == (CampaignState.CONFIRMED, "staff:ca2")
    event = AuditEvent.objects.get(action="campaign.confirmed")
    assert event.data["first"]["by"] == "staff:ca1" and event.data["reason"] == "agreed"
    assert event.data["via"].startswith("cli")  # --as names the admin; the shell user too
    started = AuditEvent.objects.get(action="campaign.started")
    assert started.data["reason"] == "term" and started.actor.startswith("cli")
