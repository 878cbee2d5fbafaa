"""The deadline: the old CA's announced revocation caps the root CRL's nextUpdate, and those
still not migrated get one e-mail when the old CA is revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from django.utils import timezone, translation

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing.crl import needs_refresh, publish_crl, publish_due
from jitsuin.authorities.publishing.health import find_stale
from jitsuin.authorities.services import AuthorityError, activate
from jitsuin.campaigns import periodic, queries, services, stragglers
from jitsuin.campaigns.models import CampaignState, CampaignTask, TaskState
from jitsuin.notify.models import OutboxMessage
from jitsuin.pki.names import Serial
from tests.campaigns import factories as f
from tests.campaigns.test_bulk_and_banner import run_bulk_worker

pytestmark = pytest.mark.django_db
WEEK = timedelta(days=7)
OVERLAP = timedelta(minutes=15)  # the capped root CRL outlives the deadline by this much


@pytest.fixture
def started(campaign, published):
    persons = f.people(12)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    campaign = services.start(campaign, actor="user:op", now=f.CUTOFF)
    # Four switch before the deadline.
    f.holders(persons[:4], published.new, published.profiles["overlap"], at=f.DURING_CAMPAIGN)
    return campaign, persons


def next_update(authority, now):
    der = bytes(publish_crl(authority, now=now).der)
    return x509.load_der_x509_crl(der).next_update_utc


def test_the_old_ca_carries_the_deadline_from_start_to_cancel(started, scene):
    campaign, _ = started
    old = Authority.objects.get(pk=scene.old.pk)
    assert old.revocation_scheduled_at == f.DEADLINE
    assert queries.retirement_deadlines(f.DURING_CAMPAIGN) == {old.pk: f.DEADLINE}
    assert AuditEvent.objects.filter(action="authority.revocation_announced").count() == 1

    later = f.DEADLINE + timedelta(days=14)
    services.postpone(campaign, to=later, actor="user:ca", reason="exams", now=f.DURING_CAMPAIGN)
    old.refresh_from_db()
    assert old.revocation_scheduled_at == later

    services.cancel(campaign, actor="user:ca", reason="called off", now=f.DURING_CAMPAIGN)
    old.refresh_from_db()
    assert old.revocation_scheduled_at is None
    assert AuditEvent.objects.filter(action="authority.revocation_withdrawn").count() == 1


def test_root_crls_expire_just_after_the_deadline_while_the_campaign_runs(started, scene):
    campaign, _ = started
    # Weeks before: the normal week.
    assert next_update(scene.root, f.DURING_CAMPAIGN) == f.DURING_CAMPAIGN + WEEK
    # Two days before the deadline: capped 15 minutes after it (the CRL listing the revocation
    # is out by then; an expired root CRL would have relying parties refuse everyone).
    two_days = f.DEADLINE - timedelta(days=2)
    assert next_update(scene.root, two_days) == f.DEADLINE + OVERLAP
    # The intermediate's own CRL is not capped.
    assert next_update(scene.old, two_days) == two_days + WEEK
    # Cancelled: back to the normal week.
    services.cancel(campaign, actor="user:ca", reason="called off", now=two_days)
    assert next_update(scene.root, two_days) == two_days + WEEK


def test_a_capped_crl_is_not_re_signed_on_every_tick(started, scene):
    two_days = f.DEADLINE - timedelta(days=2)
    row = publish_crl(scene.root, now=two_days)
    assert row.next_update == f.DEADLINE + OVERLAP
    # Normally re-signed 3 days before nextUpdate; a two-day CRL only after half its life.
    assert not needs_refresh(scene.root, two_days + timedelta(hours=1))
    assert needs_refresh(scene.root, two_days + timedelta(days=1, minutes=1))
    # Nor is it reported stale for being short (the intermediate's week-old CRL is).
    stale = {s.what for s in find_stale(two_days + timedelta(hours=1))}
    assert f"crl:{scene.root.slug}" not in stale
    assert f"crl:{scene.old.slug}" in stale


def test_starting_re_signs_the_root_crl_with_the_cap(campaign, published, scene):
    persons = f.people(2)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    near = f.DEADLINE - timedelta(days=3)
    campaign.cutoff = near - timedelta(hours=1)
    campaign.save(update_fields=["cutoff"])
    services.start(campaign, actor="user:op", now=near, require_preflight=False)
    published_now = publish_due(near)
    root_rows = [row for row in published_now if row.authority_id == scene.root.pk]
    assert root_rows and root_rows[0].next_update == f.DEADLINE + OVERLAP


def test_an_overdue_announcement_keeps_root_crls_short(started, scene):
    # The deadline passed but the revocation is not confirmed yet: no week-long CRL without it.
    after = f.AFTER_DEADLINE
    assert next_update(scene.root, after) == after + timedelta(minutes=15)


def test_the_old_ca_cannot_become_the_issuing_ca_again_while_retired(started, scene):
    with pytest.raises(AuthorityError, match="being retired"):
        activate(scene.old.name, actor="user:ca")


def complete(campaign, *, capture):
    services.prepare_summary(campaign, now=f.DEADLINE - timedelta(days=2))
    services.confirm(campaign, actor="user:ca", now=f.DEADLINE - timedelta(days=1))
    services.confirm(campaign, actor="user:ca2", now=f.DEADLINE - timedelta(days=1))
    with capture(execute=True):
        periodic.tick(f.AFTER_DEADLINE)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED


def test_stragglers_get_one_mail_at_the_deadline(
    started, scene, django_capture_on_commit_callbacks
):
    campaign, persons = started
    complete(campaign, capture=django_capture_on_commit_callbacks)
    run_bulk_worker()
    periodic.tick(f.AFTER_DEADLINE + timedelta(minutes=5))  # the job runs again
    periodic.tick(f.AFTER_DEADLINE + timedelta(minutes=30))
    mails = OutboxMessage.objects.filter(event="campaign_deadline")
    assert sorted(mails.values_list("person__uid", flat=True)) == sorted(p.uid for p in persons[4:])
    task = CampaignTask.objects.get(campaign=campaign, kind="deadline")
    assert (task.state, task.done, task.total) == (TaskState.DONE, 8, 8)
    japanese = mails.filter(language="ja").first()
    english = mails.filter(language="en").first()
    assert "使えなくなりました" in japanese.body and "使えなくなりました" in japanese.subject
    assert "no longer works" in english.body
    assert "2026年7月1日 09:00" in japanese.body  # the deadline, Japan time
    assert scene.old.name in english.body and "http" in english.body
    # The announcement is withdrawn: the revocation is a fact now.
    old = Authority.objects.get(pk=scene.old.pk)
    assert old.revocation_scheduled_at is None and old.revoked_at == f.DEADLINE
    with translation.override("en"):
        assert task.label == "Deadline notice to those not migrated"
    assert task.label == "未切替の方への期限到来のお知らせ"


def test_a_worker_killed_between_chunks_mails_nobody_twice(
    started, monkeypatch, django_capture_on_commit_callbacks
):
    campaign, persons = started
    monkeypatch.setattr(stragglers, "CHUNK", 3)
    real = stragglers.enqueue_many
    calls = []

    def dies_on_the_third_chunk(event, items, **kwargs):
        calls.append(len(items))
        if len(calls) == 3:
            raise ConnectionError("worker killed")
        return real(event, items, **kwargs)

    monkeypatch.setattr(stragglers, "enqueue_many", dies_on_the_third_chunk)
    complete(campaign, capture=django_capture_on_commit_callbacks)
    run_bulk_worker()
    task = CampaignTask.objects.get(campaign=campaign, kind="deadline")
    assert (task.state, task.done) == (TaskState.FAILED, 6)
    # A chunk that runs again for an old cursor does nothing.
    assert stragglers.send_chunk(task.pk, 0, now=f.AFTER_DEADLINE) is None
    periodic.tick(f.AFTER_DEADLINE + timedelta(minutes=5))
    periodic.tick(f.AFTER_DEADLINE + timedelta(minutes=10))
    task.refresh_from_db()
    assert (task.state, task.done) == (TaskState.DONE, 8)
    mails = OutboxMessage.objects.filter(event="campaign_deadline")
    assert mails.count() == 8 and mails.values("person_id").distinct().count() == 8


def test_a_running_task_with_a_fresh_heartbeat_is_left_alone(
    started, django_capture_on_commit_callbacks
):
    campaign, _ = started
    complete(campaign, capture=django_capture_on_commit_callbacks)
    task = CampaignTask.objects.get(campaign=campaign, kind="deadline")
    CampaignTask.objects.filter(pk=task.pk).update(
        state=TaskState.RUNNING, heartbeat_at=timezone.now()
    )
    assert stragglers.resume(f.AFTER_DEADLINE + timedelta(hours=1)) == 0
    assert not OutboxMessage.objects.filter(event="campaign_deadline").exists()


def test_the_root_crl_lists_the_old_ca_once_the_deadline_passed(
    started, scene, django_capture_on_commit_callbacks
):
    campaign, _ = started
    complete(campaign, capture=django_capture_on_commit_callbacks)
    published = publish_due(f.AFTER_DEADLINE + timedelta(minutes=1))
    root = [row for row in published if row.authority_id == scene.root.pk]
    assert root, "the revocation schedules the root's CRL"
    crl = x509.load_der_x509_crl(bytes(root[0].der))
    entry = crl.get_revoked_certificate_by_serial_number(Serial.parse(scene.old.serial).value)
    assert entry is not None
    # Back to the normal week: nothing is announced any more.
    assert crl.next_update_utc == f.AFTER_DEADLINE + timedelta(minutes=1) + WEEK


def test_a_late_confirmation_mails_once_with_the_moment_of_revocation(
    started, django_capture_on_commit_callbacks
):
    campaign, _persons = started
    services.prepare_summary(campaign, now=f.DEADLINE - timedelta(days=2))
    late = f.AFTER_DEADLINE + timedelta(hours=1)  # 11:00 Japan time
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm(campaign, actor="user:ca", now=late)
        services.confirm(campaign, actor="user:ca2", now=late)
    run_bulk_worker()
    periodic.tick(late + timedelta(minutes=5))
    mails = OutboxMessage.objects.filter(event="campaign_deadline")
    assert mails.count() == 8
    assert "2026年7月1日 11:00" in mails.filter(language="ja").first().body
