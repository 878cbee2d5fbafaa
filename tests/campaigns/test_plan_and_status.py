"""Plan, start, progress, reminders and the deadline on a small scene (a dozen people)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.authorities.models import AuthorityStatus
from jitsuin.campaigns import mailing, members, periodic, queries, services
from jitsuin.campaigns.models import CampaignState, Member, ReminderRound
from jitsuin.config import current
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    PolicyException,
    Request,
    RequestState,
)
from jitsuin.lifecycle.queries import stuck_requests
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db(transaction=False)


def _request(person, profile, state, *, at, key):
    return Request.objects.create(
        kind="issue",
        person=person,
        profile=profile,
        state=state,
        state_changed_at=at,
        created_at=at,
        requested_by=f"user:{person.uid}",
        idempotency_key=key,
    )


@pytest.fixture
def holders(scene):
    persons = f.people(12)
    profile_for = {
        p.pk: scene.profiles[["overlap", "revoke-first", "issue-while-revoking"][i % 3]]
        for i, p in enumerate(persons)
    }
    seen = {p.pk: f.CUTOFF - timedelta(days=3) for p in persons[:5]}
    seen[persons[5].pk] = f.CUTOFF - timedelta(days=90)  # seen long ago: not "in use"
    f.holders(persons, scene.old, profile_for, at=f.OLD_CERTS_ISSUED, real=2, seen_at=seen)
    # A revoked old certificate and one that is already expired are not affected.
    extra = f.people(2, prefix="x")
    f.holders(extra, scene.old, scene.profiles["overlap"], at=f.OLD_CERTS_ISSUED, real=0)
    Certificate.objects.filter(person=extra[0]).update(status=CertificateStatus.REVOKED)
    Certificate.objects.filter(person=extra[1]).update(not_after=f.CUTOFF - timedelta(days=1))
    PolicyException.objects.create(
        person=persons[1],
        profile=profile_for[persons[1].pk],
        policy="overlap",
        reason="VPN-only user",
        granted_by="staff:hd",
    )
    return persons


def test_plan_counts_the_blast_radius_without_touching_anything(campaign, holders):
    plan = queries.plan(campaign, now=f.CUTOFF)
    assert (plan.certificates, plan.people) == (12, 12)
    assert (plan.seen_certificates, plan.seen_people) == (5, 5)
    assert plan.expire_before_deadline == 0
    assert {(line.policy, line.people) for line in plan.profiles} == {
        ("overlap", 4),
        ("revoke-first", 4),
        ("issue-while-revoking", 4),
    }
    assert plan.exceptions == {"overlap": 1}
    assert plan.timeline[-1].at == f.DEADLINE and len(plan.timeline) == 7
    assert plan.timeline[0].at == f.CUTOFF
    assert Member.objects.count() == 0
    assert campaign.state == CampaignState.DRAFT


def test_start_refuses_before_the_cutoff_and_with_failing_checks(campaign, holders):
    with pytest.raises(NotAllowed):
        services.start(campaign, actor="user:op", now=f.CUTOFF - timedelta(minutes=1))
    # No CRLs published yet: the pre-flight fails and nothing changes.
    with pytest.raises(services.PreflightFailed) as failed:
        services.start(campaign, actor="user:op", now=f.CUTOFF)
    names = {c.name: c.passed for c in failed.value.checks}
    assert names["crls_fresh"] is False and names["life_covers_profiles"] is True
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT
    assert campaign.new_authority.status == AuthorityStatus.PENDING


def test_preflight_fails_when_the_new_intermediate_cannot_cover_a_profile(campaign, published):
    published.profiles["overlap"].validity_days = 20 * 365
    published.profiles["overlap"].save()
    checks = services.run_preflight(campaign, actor="user:op", now=f.CUTOFF)
    check = next(c for c in checks if c.name == "life_covers_profiles")
    assert not check.passed and "client-overlap" in check.reason


def test_start_makes_new_ca_issuing_fixes_members_and_invites_each_once(
    campaign, holders, published
):
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    campaign.refresh_from_db()
    campaign.new_authority.refresh_from_db()
    assert campaign.state == CampaignState.STARTED
    assert campaign.new_authority.status == AuthorityStatus.ACTIVE
    published.old.refresh_from_db()
    assert published.old.status == AuthorityStatus.RETIRED
    assert all(c["passed"] for c in campaign.preflight)
    assert set(Member.objects.values_list("person_id", flat=True)) == {p.pk for p in holders}

    seen = []
    task = mailing.send_invitations(campaign, now=f.CUTOFF, progress=lambda d, t: seen.append(d))
    assert (task.state, task.done, task.total) == ("done", 12, 12)
    assert seen[-1] == 12
    invites = OutboxMessage.objects.filter(event="campaign_invite")
    assert {m.person_id for m in invites} == {p.pk for p in holders}
    english = invites.get(person=holders[0])  # person 0 prefers English
    assert english.language == "en" and "Certificate switchover" in english.subject
    japanese = invites.get(person=holders[1])
    assert "証明書の切り替え" in japanese.subject and "2026年7月1日" in japanese.body
    assert japanese.body.startswith(f"{holders[1].name_ja} 様")
    assert english.body.startswith(f"Dear {holders[0].name_en},")
    # A second run (a retried task) sends nothing more.
    assert mailing.send_invitations(campaign, now=f.CUTOFF) is None
    assert invites.count() == 12


@pytest.fixture
def started(campaign, holders, published):
    services.start(campaign, actor="user:op", now=f.CUTOFF)
    mailing.send_invitations(campaign, now=f.CUTOFF)
    campaign.refresh_from_db()
    return campaign


def test_progress_sorts_people_into_the_four_categories(started, holders, scene):
    migrated, in_progress, stuck, failed = holders[2], holders[3], holders[4], holders[6]
    f.real_certificate(
        migrated, scene.new, scene.profiles["overlap"], at=f.CUTOFF + timedelta(days=1)
    )
    for person, state, at, key in (
        (in_progress, RequestState.READY, f.DURING_CAMPAIGN - timedelta(hours=2), "a"),
        (stuck, RequestState.QUEUED, f.DURING_CAMPAIGN - timedelta(days=10), "b"),
        (failed, RequestState.FAILED, f.DURING_CAMPAIGN - timedelta(hours=1), "c"),
        # A request made before the campaign does not count.
        (holders[7], RequestState.READY, f.CUTOFF - timedelta(days=40), "d"),
    ):
        _request(person, scene.profiles["overlap"], state, at=at, key=key)

    p = queries.progress(started, now=f.DURING_CAMPAIGN)
    assert (p.total, p.migrated, p.in_progress, p.stuck, p.not_started) == (12, 1, 1, 2, 8)
    # Old certificates seen in the 30 days before now: none (sightings were before the cut-off).
    assert p.old_in_use == 0

    rows = list(members.member_rows(started, now=f.DURING_CAMPAIGN))
    assert migrated.uid not in {r.uid for r in rows}
    assert {r.uid: r.category for r in rows}[stuck.uid] == "stuck"
    assert rows[0].last_seen_at is not None  # most recently seen stragglers first
    everyone = list(members.member_rows(started, now=f.DURING_CAMPAIGN, stragglers_only=False))
    assert len(everyone) == 12

    snapshot = periodic.take_snapshot(started, now=f.DURING_CAMPAIGN)
    assert (snapshot.migrated, snapshot.stuck) == (1, 2)


def test_the_stuck_count_follows_the_helpdesk_setting(started, holders, scene, monkeypatch):
    # Saturday noon in Japan: one business day later is Monday noon, three is Wednesday.
    waiting = _request(
        holders[4],
        scene.profiles["overlap"],
        RequestState.QUEUED,
        at=f.DURING_CAMPAIGN - timedelta(days=2, hours=1),
        key="s",
    )
    assert queries.progress(started, now=f.DURING_CAMPAIGN).stuck == 0
    monkeypatch.setenv("JITSUIN_STUCK_BUSINESS_DAYS", "1")
    current.cache_clear()
    try:
        assert queries.progress(started, now=f.DURING_CAMPAIGN).stuck == 1
        # The helpdesk's queue and e-mails see the same request.
        assert stuck_requests(f.DURING_CAMPAIGN) == [waiting]
    finally:
        current.cache_clear()  # the environment is restored right after this


def test_reminders_reach_exactly_those_not_migrated_once(started, holders, scene):
    holders[11].active = False  # left the university: no more mail
    holders[11].save()
    for person in holders[:4]:
        f.real_certificate(person, scene.new, scene.profiles["overlap"], at=f.DURING_CAMPAIGN)
    # A new certificate that was revoked again does not count as migrated.
    gone = f.real_certificate(
        holders[4], scene.new, scene.profiles["overlap"], at=f.DURING_CAMPAIGN
    )
    Certificate.objects.filter(pk=gone.row.pk).update(status=CertificateStatus.REVOKED)

    before = f.DEADLINE - timedelta(days=14, hours=-1)
    first = mailing.send_reminders(started, now=before)
    assert first.days_before == 14 and first.recipients == 7
    reminded = set(
        OutboxMessage.objects.filter(event="campaign_reminder").values_list("person_id", flat=True)
    )
    assert reminded == {p.pk for p in holders[4:11]}
    assert mailing.send_reminders(started, now=before + timedelta(hours=1)) is None
    # Later rounds go on schedule; a missed earlier round is not sent late.
    later = mailing.send_reminders(started, now=f.DEADLINE - timedelta(hours=20))
    assert later.days_before == 1
    assert ReminderRound.objects.filter(campaign=started).count() == 2
    assert OutboxMessage.objects.filter(event="campaign_reminder").count() == 14


def test_postpone_moves_the_deadline_and_restarts_the_reminder_schedule(started, holders):
    mailing.send_reminders(started, now=f.DEADLINE - timedelta(days=6))
    with pytest.raises(NotAllowed):
        services.postpone(
            started,
            to=f.DEADLINE + timedelta(days=30),
            actor="user:ca",
            reason="",
            now=f.DEADLINE - timedelta(days=5),
        )
    moved = services.postpone(
        started,
        to=f.DEADLINE + timedelta(days=30),
        actor="user:ca",
        reason="exam period",
        now=f.DEADLINE - timedelta(days=5),
    )
    assert moved.deadline == f.DEADLINE + timedelta(days=30)
    again = mailing.send_reminders(moved, now=moved.deadline - timedelta(days=13))
    assert again.days_before == 14 and again.recipients == 12


def test_deadline_needs_confirmation_then_revokes_the_old_intermediate(started, scene):
    periodic.tick(f.DEADLINE - timedelta(days=2))
    started.refresh_from_db()
    assert started.state == CampaignState.AWAITING_CONFIRMATION
    assert started.summary["progress"]["total"] == 12
    # Without confirmation the deadline passes and nothing is revoked.
    periodic.tick(f.AFTER_DEADLINE)
    scene.old.refresh_from_db()
    assert scene.old.revoked_at is None
    with pytest.raises(InvalidState):
        services.revoke_old_authorities(started, actor="user:ca", now=f.AFTER_DEADLINE)
    services.confirm(started, actor="user:ca", now=f.AFTER_DEADLINE)
    services.confirm(started, actor="user:ca2", now=f.AFTER_DEADLINE)
    started.refresh_from_db()
    scene.old.refresh_from_db()
    assert started.state == CampaignState.COMPLETED
    # Confirmed an hour late: revoked as of the confirmation, never backdated.
    assert scene.old.revoked_at == f.AFTER_DEADLINE
    assert scene.old.status == AuthorityStatus.REVOKED
