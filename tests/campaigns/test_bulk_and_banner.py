"""Bulk work that stops half way resumes without duplicates; the portal banner; pkilint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth.models import AnonymousUser, User
from django.template import Context, Template
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.campaigns import mailing, periodic, preflight, services
from jitsuin.campaigns.banner import SHOWN_AFTER_REVOCATION, banner_for
from jitsuin.campaigns.models import Campaign, CampaignState, CampaignTask, TaskState
from jitsuin.lifecycle.issuers import when_text
from jitsuin.lifecycle.pipeline_worker import PipelineWorker
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f
from tests.revocation.lint import pkilint

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(campaign, published):
    persons = f.people(23)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    return services.start(campaign, actor="user:op", now=f.CUTOFF), persons


def test_invitations_interrupted_half_way_resume_without_duplicates(started, monkeypatch):
    campaign, persons = started
    monkeypatch.setattr(mailing, "CHUNK", 5)
    real = mailing.enqueue_many
    calls = []

    def flaky(event, items, **kwargs):
        calls.append(len(items))
        if len(calls) == 3:
            raise ConnectionError("database went away")
        return real(event, items, **kwargs)

    monkeypatch.setattr(mailing, "enqueue_many", flaky)
    with pytest.raises(ConnectionError):
        mailing.send_invitations(campaign, now=f.CUTOFF)
    task = CampaignTask.objects.get(campaign=campaign, kind="invite")
    assert (task.state, task.done) == (TaskState.FAILED, 10)
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == 10

    periodic.tick(f.CUTOFF + timedelta(minutes=5))  # the periodic job picks it up
    task.refresh_from_db()
    assert (task.state, task.done) == (TaskState.DONE, 23)
    invites = OutboxMessage.objects.filter(event="campaign_invite")
    assert invites.count() == 23
    assert invites.values("person_id").distinct().count() == 23


def test_a_task_another_process_is_running_is_left_alone(started):
    campaign, _persons = started
    CampaignTask.objects.filter(campaign=campaign).update(
        state=TaskState.RUNNING, heartbeat_at=timezone.now()
    )
    assert mailing.send_invitations(campaign, now=f.CUTOFF) is None
    CampaignTask.objects.filter(campaign=campaign).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert mailing.send_invitations(campaign, now=f.CUTOFF).done == 23


def when(moment, language):
    with translation.override(language):
        return when_text(moment)


def test_the_portal_banner_shows_until_the_person_has_migrated(started, scene):
    campaign, persons = started
    with translation.override("ja"):
        banner = banner_for(persons[1], now=f.DURING_CAMPAIGN)
    assert banner.campaign == campaign.name and banner.deadline == f.DEADLINE
    assert not banner.over
    # Not the operator's mail subject (a template with placeholders): the deadline with its
    # weekday, and the CA that goes.
    assert banner.title == f"{when(f.DEADLINE, 'ja')} までにクライアント証明書を切り替えてください"
    assert scene.old.name in banner.note and "{{" not in banner.title + banner.note
    with translation.override("en"):
        english = banner_for(persons[1], now=f.DURING_CAMPAIGN)
    assert english.title == f"Replace your client certificate by {when(f.DEADLINE, 'en')}"
    f.real_certificate(persons[1], scene.new, scene.profiles["overlap"], at=f.DURING_CAMPAIGN)
    assert banner_for(persons[1], now=f.DURING_CAMPAIGN) is None
    outsider = f.people(1, prefix="z")[0]
    assert banner_for(outsider, now=f.DURING_CAMPAIGN) is None


@pytest.mark.peers
def test_canary_certificates_and_the_root_arl_after_the_deadline_pass_pkilint(started, scene):
    campaign, _persons = started
    chain, _key = preflight.issue_canary(scene.new, f.CUTOFF, actor="test")
    leaf = x509.load_pem_x509_certificates(chain)[0]
    pkilint("lint_pkix_cert", leaf.public_bytes(Encoding.DER))
    services.prepare_summary(campaign, now=f.DEADLINE - timedelta(days=2))
    services.confirm(campaign, actor="user:ca", now=f.AFTER_DEADLINE)
    services.confirm(campaign, actor="user:ca2", now=f.AFTER_DEADLINE)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    arl = publish_crl(scene.root, now=f.AFTER_DEADLINE)
    assert arl.entries == 1
    pkilint("lint_crl", bytes(arl.der), "-t", "ARL", "-p", "PKIX")


def test_after_the_revocation_a_straggler_is_told_it_stopped_working(started, scene):
    campaign, persons = started
    services.prepare_summary(campaign, now=f.DEADLINE - timedelta(days=2))
    services.confirm(campaign, actor="user:ca", now=f.AFTER_DEADLINE)
    services.confirm(campaign, actor="user:ca2", now=f.AFTER_DEADLINE)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    later = f.AFTER_DEADLINE + timedelta(days=1)
    with translation.override("ja"):
        banner = banner_for(persons[1], now=later)
    assert banner.over and "使えなくなりました" in banner.title
    assert scene.old.name in banner.note
    f.real_certificate(persons[1], scene.new, scene.profiles["overlap"], at=later)
    assert banner_for(persons[1], now=later) is None
    gone = campaign.completed_at + SHOWN_AFTER_REVOCATION + timedelta(minutes=1)
    assert banner_for(persons[2], now=later) is not None
    assert banner_for(persons[2], now=gone) is None


def test_the_banner_tag_renders_for_the_signed_in_person_only(started, rf):
    _campaign, persons = started
    person = persons[2]
    person.user = User.objects.create_user(person.uid)
    person.save()
    template = Template("{% load campaign_banner %}{% campaign_banner %}")
    request = rf.get("/")
    request.user = person.user
    with translation.override("ja"):
        html = template.render(Context({"request": request}))
    assert "証明書の切り替え" in html and "banner-active" in html
    request.user = AnonymousUser()
    assert "banner" not in template.render(Context({"request": request}))


def test_healthz_degrades_when_a_deadline_passes_unconfirmed(started):
    campaign, _persons = started
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() + timedelta(days=9))
    assert periodic.health()[0] == "ok"
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(hours=1))
    status, detail = periodic.health()
    assert status == "degraded" and detail["deadline_passed_unconfirmed"] == [campaign.name]


def bulk_tasks():
    return DBTaskResult.objects.filter(queue_name="bulk", status=TaskResultStatus.READY)


def run_bulk_worker() -> None:
    """The worker's own claim-and-run steps on the bulk queue."""
    worker = PipelineWorker(queue_names=["bulk"], interval=0, tick_every=0, batch=True)
    while (task_result := worker.next_task()) is not None:
        worker.run_task(task_result)


def test_starting_queues_the_invitations_as_one_task_per_chunk(
    campaign, published, monkeypatch, django_capture_on_commit_callbacks
):
    persons = f.people(12)
    f.holders(persons, published.old, published.profiles["overlap"], at=f.OLD_CERTS_ISSUED)
    monkeypatch.setattr(mailing, "CHUNK", 5)
    with django_capture_on_commit_callbacks(execute=True):
        services.start(campaign, actor="user:op", now=f.CUTOFF)
    assert bulk_tasks().count() == 1  # the first chunk; each chunk queues the next
    run_bulk_worker()
    task = CampaignTask.objects.get(campaign=campaign, kind="invite")
    assert (task.state, task.done, task.total) == (TaskState.DONE, 12, 12)
    chunks = DBTaskResult.objects.filter(queue_name="bulk", status=TaskResultStatus.SUCCESSFUL)
    assert chunks.count() == 3
    invites = OutboxMessage.objects.filter(event="campaign_invite")
    assert invites.count() == 12 and invites.values("person_id").distinct().count() == 12


def test_a_chunk_that_runs_twice_sends_and_counts_once(started, monkeypatch):
    campaign, _persons = started
    monkeypatch.setattr(mailing, "CHUNK", 10)
    task = CampaignTask.objects.get(campaign=campaign, kind="invite")
    second = mailing.send_chunk(task.pk, 0, now=f.CUTOFF)
    assert mailing.send_chunk(task.pk, 0, now=f.CUTOFF) is None  # the same chunk again
    task.refresh_from_db()
    assert (task.done, task.cursor) == (10, second)
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == 10
    # The periodic job finishes it from the cursor (a worker died between chunks).
    CampaignTask.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    periodic.tick(f.CUTOFF + timedelta(minutes=5))
    task.refresh_from_db()
    assert (task.state, task.done) == (TaskState.DONE, 23)
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == 23
    assert mailing.send_chunk(task.pk, second, now=f.CUTOFF) is None
    assert OutboxMessage.objects.filter(event="campaign_invite").count() == 23
