"""The irreversible steps, guarded: consequences in numbers, the typed name, the reason, and
dual control of the revocation (two different CA admins, withdrawable, cleared by postpone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import AuthorityStatus
from jitsuin.campaigns import approvals, guard, services
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db

SUMMARY_AT = f.DEADLINE - timedelta(days=2)


@pytest.fixture
def awaiting(published, campaign):
    """Five holders of the old intermediate, one moved; the final summary is waiting."""
    persons = f.people(5)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    f.real_certificate(persons[0], published.new, published.profiles["overlap"], at=f.CUTOFF)
    services.prepare_summary(campaign, now=SUMMARY_AT)
    campaign.refresh_from_db()
    return campaign


def _state(campaign: Campaign) -> str:
    return Campaign.objects.get(pk=campaign.pk).state


# The typed name and the reason


def test_start_refuses_a_mistyped_name_or_a_missing_reason_and_changes_nothing(published, campaign):
    for typed, reason in (("g1-to-g3", "term"), ("G1-TO-G2", "term"), (campaign.name, "  ")):
        with pytest.raises(guard.Refused):
            guard.start(campaign, actor="staff:ca1", typed=typed, reason=reason, now=f.CUTOFF)
    with pytest.raises(guard.Refused, match="500"):
        guard.start(campaign, actor="staff:ca1", typed=campaign.name, reason="x" * 501)
    assert _state(campaign) == CampaignState.DRAFT
    assert published.old.status == AuthorityStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="campaign.started").exists()

    guard.start(campaign, actor="staff:ca1", typed=campaign.name, reason=" term ", now=f.CUTOFF)
    event = AuditEvent.objects.get(action="campaign.started")
    assert (event.actor, event.data["reason"]) == ("staff:ca1", "term")


def test_the_mismatch_is_explained_in_japanese_and_english(campaign):
    for language, words in (("ja", "一致しません"), ("en", "does not match")):
        with translation.override(language), pytest.raises(guard.Refused) as refused:
            guard.check_typed(campaign, "typo")
        assert words in str(refused.value.message) and campaign.name in str(refused.value.message)


def test_confirm_refuses_a_mistyped_name_and_records_nothing(awaiting):
    with pytest.raises(guard.Refused):
        guard.confirm(awaiting, actor="staff:ca1", typed="typo", reason="ok", now=SUMMARY_AT)
    with pytest.raises(guard.Refused):
        guard.confirm(awaiting, actor="staff:ca1", typed=awaiting.name, reason="", now=SUMMARY_AT)
    awaiting.refresh_from_db()
    assert awaiting.first_confirmed_by == ""
    assert not AuditEvent.objects.filter(action="campaign.confirmation_requested").exists()


# The consequence in numbers


def test_the_consequences_are_counted(published, campaign, awaiting):
    start = guard.start_consequence(Campaign.objects.get(pk=campaign.pk), now=f.CUTOFF)
    assert (start.people, start.certificates, start.new) == (5, 5, published.new.name)
    cut_off = guard.confirm_consequence(awaiting, now=SUMMARY_AT)
    assert (cut_off.not_migrated, cut_off.total, cut_off.percent) == (4, 5, 80)
    assert cut_off.at == f.DEADLINE
    with translation.override("en"):
        assert cut_off.text == "4 of 5 people (80 %) lose Wi-Fi/VPN/SSO at Wed 1 Jul 09:00."
    with translation.override("ja"):
        assert (
            cut_off.text
            == "5 人中 4 人（80 %）が 7月1日（水）09:00 に Wi-Fi/VPN/SSO を使えなくなります。"
        )
        assert "5 人に今すぐ案内メール" in start.text and "7月1日（水）09:00" in start.text
    with translation.override("en"):  # one person is not "1 people"
        assert guard.ConfirmConsequence(1, 1, f.DEADLINE).text.startswith(
            "1 of 1 person (100 %) loses Wi-Fi/VPN/SSO"
        )
        one = guard.StartConsequence(1, 1, "G2", ["G1"], f.DEADLINE).text
        assert one == (
            "1 person gets the invitation e-mail now; G2 issues every new certificate from "
            "now; 1 certificate from G1 stops working at Wed 1 Jul 09:00 unless its holder "
            "switches."
        )
    # Confirmed after the deadline: they are cut off at once.
    late = f.AFTER_DEADLINE + timedelta(days=1)
    assert guard.confirm_consequence(awaiting, now=late).at == late


# Dual control


def test_two_different_ca_admins_confirm_and_the_audit_names_both(awaiting):
    services.confirm(awaiting, actor="staff:ca1", reason="numbers checked", now=SUMMARY_AT)
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.AWAITING_CONFIRMATION
    assert (awaiting.first_confirmed_by, awaiting.first_confirmation_reason) == (
        "staff:ca1",
        "numbers checked",
    )
    assert awaiting.first_confirmed_at == SUMMARY_AT and awaiting.confirmed_by == ""
    requested = AuditEvent.objects.get(action="campaign.confirmation_requested")
    assert requested.actor == "staff:ca1" and requested.data["reason"] == "numbers checked"

    later = SUMMARY_AT + timedelta(hours=1)
    services.confirm(awaiting, actor="staff:ca2", reason="agreed", now=later)
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.CONFIRMED
    assert (awaiting.confirmed_by, awaiting.confirmed_at) == ("staff:ca2", later)
    confirmed = AuditEvent.objects.get(action="campaign.confirmed")
    assert confirmed.actor == "staff:ca2" and confirmed.data["reason"] == "agreed"
    assert confirmed.data["first"] == {
        "by": "staff:ca1",
        "at": SUMMARY_AT.isoformat(),
        "reason": "numbers checked",
    }
    assert confirmed.data["second"] == {"by": "staff:ca2", "at": later.isoformat()}


def test_the_same_admin_twice_is_refused_and_nothing_changes(awaiting):
    services.confirm(awaiting, actor="staff:ca1", reason="first", now=SUMMARY_AT)
    before = AuditEvent.objects.count()
    with pytest.raises(approvals.SameAdmin), translation.override("en"):
        services.confirm(awaiting, actor="staff:ca1", reason="again", now=SUMMARY_AT)
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.AWAITING_CONFIRMATION
    assert awaiting.first_confirmation_reason == "first"
    assert AuditEvent.objects.count() == before


def test_a_second_confirmation_after_the_deadline_revokes_at_once(awaiting, published):
    services.confirm(awaiting, actor="staff:ca1", reason="first", now=f.AFTER_DEADLINE)
    published.old.refresh_from_db()
    assert published.old.status != AuthorityStatus.REVOKED  # one admin is not enough
    services.confirm(awaiting, actor="staff:ca2", reason="second", now=f.AFTER_DEADLINE)
    published.old.refresh_from_db()
    assert published.old.status == AuthorityStatus.REVOKED
    assert _state(awaiting) == CampaignState.COMPLETED


def test_the_first_confirmation_can_be_withdrawn(awaiting):
    with pytest.raises(NotAllowed):  # nothing to withdraw yet
        approvals.withdraw_confirmation(awaiting, actor="staff:ca1", now=SUMMARY_AT)
    services.confirm(awaiting, actor="staff:ca1", reason="first", now=SUMMARY_AT)
    approvals.withdraw_confirmation(awaiting, actor="staff:ca1", reason="wrong day", now=SUMMARY_AT)
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.AWAITING_CONFIRMATION
    assert (awaiting.first_confirmed_by, awaiting.first_confirmed_at) == ("", None)
    event = AuditEvent.objects.get(action="campaign.confirmation_withdrawn")
    assert event.data["reason"] == "wrong day" and event.data["first"]["by"] == "staff:ca1"
    # Withdrawn, the same admin may confirm first again; still not confirmed alone.
    services.confirm(awaiting, actor="staff:ca1", reason="now", now=SUMMARY_AT)
    assert _state(awaiting) == CampaignState.AWAITING_CONFIRMATION


@pytest.mark.parametrize("step", ["postpone", "summary", "cancel"])
def test_postpone_a_new_summary_or_cancel_clear_a_pending_confirmation(awaiting, step):
    services.confirm(awaiting, actor="staff:ca1", reason="first", now=SUMMARY_AT)
    later = SUMMARY_AT + timedelta(hours=1)
    if step == "postpone":
        services.postpone(
            awaiting,
            to=f.DEADLINE + timedelta(days=7),
            actor="staff:ca2",
            reason="exams",
            now=later,
        )
    elif step == "summary":
        services.prepare_summary(awaiting, now=later)
    else:
        services.cancel(awaiting, actor="staff:ca2", reason="wrong CA", now=later)
    awaiting.refresh_from_db()
    assert (awaiting.first_confirmed_by, awaiting.first_confirmation_reason) == ("", "")
    if step == "summary":
        # Another admin's confirmation is now a first one again, not the second.
        services.confirm(awaiting, actor="staff:ca2", reason="fresh numbers", now=later)
        assert _state(awaiting) == CampaignState.AWAITING_CONFIRMATION


def test_nothing_to_confirm_outside_awaiting(published, campaign):
    with pytest.raises(InvalidState):
        services.confirm(campaign, actor="staff:ca1", reason="x", now=f.CUTOFF)
    assert Campaign.objects.get(pk=campaign.pk).first_confirmed_by == ""
