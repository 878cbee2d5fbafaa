"""The person page knows the campaign; the authorities page does not offer a retired CA; the
campaign page carries the relying-party checklist for the deadline."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.authorities.models import Authority, AuthorityStatus
from jitsuin.campaigns import mailing, services
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(db):
    """A started campaign: four holders of the old intermediate, one of whom has moved."""
    scene = f.scene()
    campaign = f.campaign_starting_now(scene, 4, name="g1-to-g2", real=1)
    campaign = services.start(campaign, actor="staff:ca1", require_preflight=False)
    mailing.send_invitations(campaign)
    members = [m.person for m in campaign.members.order_by("person__uid")]
    f.real_certificate(members[0], scene.new, scene.profiles["overlap"], at=timezone.now())
    return campaign, scene, members


def page(client, url, language="ja"):
    client.cookies["jitsuin_lang"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_straggler_s_page_shows_membership_mails_and_the_dependence(helpdesk, running):
    campaign, scene, members = running
    straggler = members[1]
    html = page(helpdesk, reverse("console:person", args=[straggler.pk]))
    assert 'data-testid="campaign-memberships"' in html
    assert campaign.name in html
    assert f'data-testid="campaign-category-{campaign.pk}">未着手<' in html
    assert "案内メール" in html  # the invitation, from the outbox
    assert 'data-testid="depends-on"' in html
    assert f"まだ {scene.old.name} に依存しています" in html
    english = page(helpdesk, reverse("console:person", args=[straggler.pk]), "en")
    assert f"Still depends on {scene.old.name}" in english
    assert "0 reminders sent" in english and "Not started" in english


def test_a_migrated_member_is_migrated_and_depends_on_nothing(helpdesk, running):
    campaign, _scene, members = running
    html = page(helpdesk, reverse("console:person", args=[members[0].pk]), "en")
    assert f'data-testid="campaign-category-{campaign.pk}">Migrated<' in html
    assert 'data-testid="depends-on"' not in html


def test_reminders_sent_are_counted(helpdesk, running):
    campaign, _scene, members = running
    mailing.send_reminders(campaign, now=campaign.deadline - timezone.timedelta(days=6))
    assert OutboxMessage.objects.filter(event="campaign_reminder", person=members[1]).exists()
    html = page(helpdesk, reverse("console:person", args=[members[1].pk]), "en")
    assert "1 reminder sent" in html
    assert "Reminder (7 days before the deadline)" in html


def test_a_person_outside_any_campaign_shows_no_campaign_section(helpdesk, running):
    outsider = f.people(1, prefix="x")[0]
    html = page(helpdesk, reverse("console:person", args=[outsider.pk]))
    assert 'data-testid="campaign-memberships"' not in html
    assert 'data-testid="depends-on"' not in html


def test_the_authorities_page_offers_no_activation_of_a_retired_ca(ca_admin, running):
    _campaign, scene, _members = running
    url = reverse("console:activate", args=[scene.old.pk])
    html = page(ca_admin, reverse("console:authorities"))
    assert f'action="{url}"' not in html
    assert 'data-testid="revocation-scheduled"' in html
    deadline = timezone.localtime(_campaign.deadline).strftime("%Y-%m-%d %H:%M")
    assert deadline in html
    # The POST is refused too, and nothing changes.
    response = ca_admin.post(url, follow=True)
    assert "being retired" in response.content.decode()
    assert Authority.objects.get(pk=scene.old.pk).status == AuthorityStatus.RETIRED
    assert Authority.objects.get(pk=scene.new.pk).status == AuthorityStatus.ACTIVE


def test_after_cancelling_the_retired_ca_may_issue_again(ca_admin, running):
    campaign, scene, _members = running
    services.cancel(campaign, actor="staff:ca1", reason="called off")
    url = reverse("console:activate", args=[scene.old.pk])
    html = page(ca_admin, reverse("console:authorities"))
    assert f'action="{url}"' in html and 'data-testid="revocation-scheduled"' not in html


@pytest.mark.parametrize(
    ("language", "heading", "restart"),
    [
        ("ja", "期限時の検証側（リライングパーティ）", "systemctl restart freeradius"),
        ("en", "Relying parties at the deadline", "systemctl restart freeradius"),
    ],
)
def test_the_campaign_page_has_the_relying_party_checklist(
    ca_admin, running, language, heading, restart
):
    campaign, scene, _members = running
    html = page(ca_admin, reverse("campaigns:detail", args=[campaign.pk]), language)
    assert 'data-testid="deadline-checklist"' in html
    assert heading in html and restart in html and "systemctl reload nginx" in html
    assert f"/crl/{scene.root.slug}.crl" in html and "/crl/bundle.pem" in html


def test_no_checklist_for_a_draft(ca_admin, db):
    scene = f.scene()
    draft = f.campaign_starting_now(scene, 1, name="draft", real=1)
    html = page(ca_admin, reverse("campaigns:detail", args=[draft.pk]))
    assert 'data-testid="deadline-checklist"' not in html
