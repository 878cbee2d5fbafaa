"""A thousand people under the old intermediate, through a whole campaign to the deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from jitsuin.audit import services as audit
from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority, AuthorityStatus
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.campaigns import mailing, periodic, queries, services
from jitsuin.campaigns.models import CampaignState, Member
from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Pickup, Request
from jitsuin.lifecycle.pickups import collect_pickup
from jitsuin.lifecycle.services import confirm_new_certificate, request_issue, request_revoke
from jitsuin.lifecycle.transitions import WORKABLE
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PEOPLE = 1000
SHARE = 20  # people per policy who complete the switch in the script


def run_pipeline(now):
    for _ in range(6):
        ids = list(Request.objects.filter(state__in=WORKABLE).values_list("pk", flat=True))
        if not ids:
            return
        for pk in ids:
            pipeline.advance(pk, worker_id="e2e", now=now)


def old_certificate(person, scene):
    return Certificate.objects.get(person=person, issuer=scene.old, status=CertificateStatus.VALID)


def ask_for_new(person, profile, key, now):
    """The person asks for a certificate on the portal."""
    return request_issue(
        person, actor=f"user:{person.uid}", idempotency_key=key, profile=profile, now=now
    )


def ask_to_revoke(person, scene, key, now):
    """The holder revokes the old certificate because a new one replaces it."""
    return request_revoke(
        old_certificate(person, scene),
        actor=f"user:{person.uid}",
        idempotency_key=key,
        reason="superseded",
        now=now,
    )


def collect(person, now):
    request = Request.objects.filter(person=person, kind="issue").order_by("-created_at").first()
    collect_pickup(Pickup.objects.get(request=request), actor=f"user:{person.uid}", now=now)
    return request.certificate


def test_a_thousand_people_switch_and_the_old_intermediate_goes(published, campaign):
    scene = published
    persons = f.people(PEOPLE)
    policies = ["overlap", "issue-while-revoking", "revoke-first"]
    profile_for = {p.pk: scene.profiles[policies[i % 3]] for i, p in enumerate(persons)}
    f.holders(persons, scene.old, profile_for, at=f.OLD_CERTS_ISSUED, real=3)

    plan = queries.plan(campaign, now=f.CUTOFF)
    assert (plan.certificates, plan.people) == (PEOPLE, PEOPLE)

    services.start(campaign, actor="user:op", now=f.CUTOFF)
    task = mailing.send_invitations(campaign, now=f.CUTOFF)
    assert task.done == PEOPLE
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == PEOPLE
    assert Authority.objects.issuing().get() == scene.new

    # The script: SHARE people of each policy migrate the way their policy allows.
    t = f.DURING_CAMPAIGN
    by_policy = {
        name: [p for p in persons if profile_for[p.pk].rollover_policy == name] for name in policies
    }
    overlap = by_policy["overlap"][:SHARE]
    while_revoking = by_policy["issue-while-revoking"][:SHARE]
    revoke_first = by_policy["revoke-first"][:SHARE]
    for person in overlap:
        ask_for_new(person, profile_for[person.pk], f"o{person.pk}", t)
    for person in while_revoking:
        ask_to_revoke(person, scene, f"w{person.pk}", t)
        ask_for_new(person, profile_for[person.pk], f"wi{person.pk}", t)
    for person in revoke_first:
        ask_to_revoke(person, scene, f"r{person.pk}", t)
    run_pipeline(t)
    for person in revoke_first:
        ask_for_new(person, profile_for[person.pk], f"ri{person.pk}", t + timedelta(minutes=5))
    run_pipeline(t + timedelta(minutes=5))
    later = t + timedelta(minutes=10)
    migrated = overlap + while_revoking + revoke_first
    new_certs = [collect(person, later) for person in migrated]
    assert all(c.issuer_id == scene.new.pk for c in new_certs)
    # Under overlap the old certificate is revoked once the new one is in use.
    for certificate in new_certs[:SHARE]:
        confirm_new_certificate(certificate, actor="user:x", now=later)
    run_pipeline(later)
    assert not Certificate.objects.filter(
        person__in=overlap, issuer=scene.old, status=CertificateStatus.VALID
    ).exists()
    # Some are on their way: an issue request still queued.
    underway = by_policy["overlap"][SHARE : SHARE + 5]
    for person in underway:
        ask_for_new(person, profile_for[person.pk], f"u{person.pk}", later)

    progress = queries.progress(campaign, now=later)
    assert progress.migrated == 3 * SHARE
    assert progress.in_progress == 5
    assert progress.total == PEOPLE
    assert progress.not_started + progress.stuck == PEOPLE - 3 * SHARE - 5

    # Reminders reach exactly those who have not migrated.
    reminder = mailing.send_reminders(campaign, now=f.DEADLINE - timedelta(days=14))
    assert reminder.recipients == PEOPLE - 3 * SHARE
    reminded = set(
        OutboxMessage.objects.filter(event="campaign_reminder").values_list("person_id", flat=True)
    )
    everyone = set(Member.objects.filter(campaign=campaign).values_list("person_id", flat=True))
    assert reminded == everyone - {p.pk for p in migrated}

    # The deadline: summary, confirmation, revocation; the root CRL lists the old intermediate.
    periodic.tick(f.DEADLINE - timedelta(days=2))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.AWAITING_CONFIRMATION
    services.confirm(campaign, actor="user:ca", now=f.DEADLINE - timedelta(days=1))
    services.confirm(campaign, actor="user:ca2", now=f.DEADLINE - timedelta(days=1))
    periodic.tick(f.AFTER_DEADLINE)
    campaign.refresh_from_db()
    scene.old.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert scene.old.status == AuthorityStatus.REVOKED and scene.old.revoked_at == f.DEADLINE
    crl = x509.load_der_x509_crl(bytes(publish_crl(scene.root, now=f.AFTER_DEADLINE).der))
    assert crl.get_revoked_certificate_by_serial_number(int(scene.old.serial, 16)) is not None
    # Every step left an intact, hash-chained audit trail.
    assert audit.verify() is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"campaign.started", "campaign.reminder_round", "campaign.confirmed"} <= actions
    assert {"campaign.completed", "authority.revoked", "notify.enqueued_many"} <= actions
