"""The campaign's e-mail in the console: preview, test send to oneself, a reminder now, and
the invitation again to ticked stragglers (the permission matrix is in tests/security)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import mailing, services
from jitsuin.campaigns.models import CampaignTask, Member, ReminderRound
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    return f.scene()


@pytest.fixture
def draft(scene):
    return f.campaign_starting_now(
        scene, 4, name="g1-to-g2", real=1, texts={"body_ja": "{{ name }} 様\n{{ deadline }}"}
    )


@pytest.fixture
def running(draft, scene):
    campaign = services.start(draft, actor="staff:ca1", now=timezone.now())
    mailing.send_invitations(campaign)
    people = [m.person for m in Member.objects.filter(campaign=campaign).order_by("person__uid")]
    f.real_certificate(people[0], scene.new, scene.profiles["overlap"], at=timezone.now())
    return campaign, people  # people[0] has migrated


def test_every_staff_role_reads_the_preview_of_both_mails_in_both_languages(helpdesk, draft):
    page = helpdesk.get(reverse("campaigns:mail_preview", args=[draft.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for anchor in ("preview-invite-ja", "preview-invite-en", "preview-reminder-ja"):
        assert f'id="{anchor}"' in text
    assert "見本 花子 様" in text and 'id="test-send"' not in text  # helpdesk sends nothing


def test_the_test_send_goes_to_the_staff_member_only_marked_and_audited(ca_admin, draft):
    User.objects.filter(username="ca1").update(email="ca1@example.ac.jp")
    url = reverse("campaigns:mail_test", args=[draft.pk])
    response = ca_admin.post(url, {"language": "both", "kind": "invite"})
    assert response.status_code == 302
    sent = list(OutboxMessage.objects.order_by("pk"))
    assert [m.to for m in sent] == ["ca1@example.ac.jp"] * 2
    assert [m.language for m in sent] == ["ja", "en"]
    assert all(m.subject.startswith("[TEST] ") for m in sent)
    assert all(m.person_id is None for m in sent)
    # What the preview page shows is what was sent (apart from the subject's mark).
    ja = mailing.preview_invitation(draft)[0]
    assert sent[0].body == ja.body and sent[0].subject == "[TEST] " + ja.subject
    event = AuditEvent.objects.get(action="campaign.test_sent")
    assert event.actor == "staff:ca1" and event.data["to"] == "ca1@example.ac.jp"


def test_the_test_send_is_refused_without_an_address(ca_admin, draft):
    page = ca_admin.get(reverse("campaigns:mail_preview", args=[draft.pk]))
    assert 'id="test-send-no-address"' in page.content.decode()
    response = ca_admin.post(
        reverse("campaigns:mail_test", args=[draft.pk]),
        {"language": "ja", "kind": "invite"},
        follow=True,
    )
    assert "no e-mail address" in response.content.decode() or "メールアドレス" in (
        response.content.decode()
    )
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.test_sent").exists()


def test_a_double_click_on_send_reminder_now_sends_one_round(ca_admin, running):
    campaign, people = running
    url = reverse("campaigns:remind_now", args=[campaign.pk])
    detail = ca_admin.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="remind-now"' in detail and 'id="resend-selected"' in detail
    assert ca_admin.post(url).status_code == 302
    assert ca_admin.post(url).status_code == 302  # the second click
    rounds = ReminderRound.objects.filter(campaign=campaign)
    assert rounds.count() == 1 and rounds.get().manual
    task = CampaignTask.objects.get(campaign=campaign, kind="reminder-manual")
    mailing.run_task(task)  # what the worker does with the queued chunk
    assert ca_admin.post(url).status_code == 302  # done, but within the gap: still one
    reminded = OutboxMessage.objects.filter(event="campaign_reminder")
    assert sorted(reminded.values_list("person_id", flat=True)) == [p.pk for p in people[1:]]
    assert AuditEvent.objects.filter(action="campaign.reminder_round").count() == 1


def test_resend_reaches_only_the_ticked_people_who_have_not_migrated(ca_admin, running):
    campaign, people = running
    outsider = f.people(1, prefix="z")[0]
    url = reverse("campaigns:resend", args=[campaign.pk])
    chosen = [people[0].pk, people[1].pk, people[2].pk, outsider.pk]
    ca_admin.post(url, {"person": chosen})
    ca_admin.post(url, {"person": chosen})  # double click: the same minute's key
    again = OutboxMessage.objects.filter(key__contains=":resend:")
    assert sorted(again.values_list("person_id", flat=True)) == [people[1].pk, people[2].pk]
    event = AuditEvent.objects.filter(action="campaign.invitations_resent").first()
    assert event.data["uids"] == [people[1].uid, people[2].uid] and event.data["skipped"] == 2


def test_resend_refuses_more_than_the_cap(ca_admin, running):
    campaign, _people = running
    url = reverse("campaigns:resend", args=[campaign.pk])
    ca_admin.post(url, {"person": list(range(1, 300))})
    assert not OutboxMessage.objects.filter(key__contains=":resend:").exists()


@pytest.mark.parametrize("name", ["mail_test", "remind_now", "resend"])
def test_only_a_ca_admin_sends_campaign_mail(operator, helpdesk, running, name):
    campaign, people = running
    before = OutboxMessage.objects.count()
    for client in (operator, helpdesk):
        response = client.post(
            reverse(f"campaigns:{name}", args=[campaign.pk]),
            {"language": "ja", "kind": "invite", "person": [people[1].pk]},
        )
        assert response.status_code == 403
    assert OutboxMessage.objects.count() == before
    assert not ReminderRound.objects.filter(manual=True).exists()


def test_after_a_test_send_the_form_keeps_the_choice_and_ignores_junk(ca_admin, draft):
    User.objects.filter(username="ca1").update(email="ca1@example.ac.jp")
    url = reverse("campaigns:mail_test", args=[draft.pk])
    response = ca_admin.post(url, {"language": "en", "kind": "reminder"})
    assert response.url.endswith("?language=en&kind=reminder")
    page = ca_admin.get(response.url).content.decode()
    assert '<option value="en" selected>' in page and '<option value="reminder" selected>' in page
    preview = reverse("campaigns:mail_preview", args=[draft.pk])
    junk = ca_admin.get(preview + "?language=xx&kind=" + "a" * 5000).content.decode()
    assert '<option value="both" selected>' in junk
