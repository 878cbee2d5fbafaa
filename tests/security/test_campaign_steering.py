"""Review finding 2: a helpdesk account switched the issuing CA and mass-mailed a phishing link
through a switchover campaign. Only CA admins steer campaigns; campaign texts link only to
the portal; the CA admin sees the exact e-mail before starting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority
from jitsuin.campaigns import mailing, services
from jitsuin.campaigns.links import ForeignLink, foreign_links
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.console.roles import ROLE_PERMISSIONS
from jitsuin.notify.models import OutboxMessage
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db

PORTAL = "https://cert.example.ac.jp"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("JITSUIN_PUBLIC_URL", PORTAL)
    config.current.cache_clear()
    yield
    monkeypatch.delenv("JITSUIN_PUBLIC_URL")
    config.current.cache_clear()


@pytest.fixture
def scene(db):
    return f.scene()


@pytest.fixture
def draft(scene):
    """A campaign from G1 to the pending G2 whose cut-off has come, with three holders."""
    return f.campaign_starting_now(
        scene,
        3,
        name="g1-to-g2",
        real=1,
        texts={
            "subject_ja": "証明書の切り替えのお願い",
            "subject_en": "Please switch your certificate",
            # The whole e-mail, with placeholders (docs/campaigns.md, E-mails).
            "body_ja": "{{ name }} 様\n手順は " + PORTAL + "/help/ にあります。\n{{ link }}",
            "body_en": "Dear {{ name }},\nThe steps are at "
            + PORTAL
            + "/help/.\n{{ old_ca }} goes.\n{{ link }}",
        },
    )


PHISHING = {
    "name": "hd-phish",
    "cutoff": "2026-12-01T09:00",
    "deadline": "2026-12-20T09:00",
    "reminders": "3,1",
    "subject_ja": "【至急】パスワードを再入力してください",
    "subject_en": "[URGENT] re-enter your password",
    "body_ja": "24時間以内に http://evil.example/login でサインインしてください",
    "body_en": "Sign in at http://evil.example/login within 24h or lose Wi-Fi",
}


def _phishing_form(scene) -> dict[str, object]:
    soon = timezone.localtime() + timedelta(days=1)  # dates that pass the date rules
    return {
        **PHISHING,
        "old": [scene.old.name],
        "new": scene.new.name,
        "cutoff": f"{soon:%Y-%m-%dT%H:%M}",
        "deadline": f"{soon + timedelta(days=20):%Y-%m-%dT%H:%M}",
    }


@pytest.mark.parametrize("role", ["helpdesk", "operator"])
def test_helpdesk_and_operator_cannot_create_check_start_or_cancel_a_campaign(
    request, role, scene, draft
):
    staff = request.getfixturevalue(role)
    refused = {
        "create": staff.post(reverse("campaigns:create"), _phishing_form(scene)),
        "preflight": staff.post(reverse("campaigns:preflight", args=[draft.pk])),
        "start page": staff.get(reverse("campaigns:start", args=[draft.pk])),
        "start": staff.post(reverse("campaigns:start", args=[draft.pk])),
        "cancel": staff.post(reverse("campaigns:cancel", args=[draft.pk]), {"reason": "x"}),
    }
    assert {step: r.status_code for step, r in refused.items()} == dict.fromkeys(refused, 403)
    assert list(Campaign.objects.values_list("name", "state")) == [("g1-to-g2", "draft")]
    assert Authority.objects.get(pk=scene.new.pk).status == "pending"
    assert Authority.objects.get(pk=scene.old.pk).status == "active"
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=["campaign.preflight", "campaign.started", "campaign.cancelled"]
    ).exists()
    # They still follow the campaign.
    assert staff.get(reverse("campaigns:detail", args=[draft.pk])).status_code == 200


def test_only_ca_admins_hold_the_permission_to_steer_campaigns():
    holders = {role for role, held in ROLE_PERMISSIONS.items() if "manage_campaigns" in held}
    assert holders == {"ca-admin"}
    followers = {role for role, held in ROLE_PERMISSIONS.items() if "view_campaigns" in held}
    assert followers == {"helpdesk", "operator", "ca-admin"}


def test_a_ca_admin_cannot_create_a_campaign_that_links_to_another_host(ca_admin, scene):
    ca_admin.cookies["jitsuin_lang"] = "en"
    page = ca_admin.post(reverse("campaigns:create"), _phishing_form(scene))
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert set(errors) == {"body_ja", "body_en"}
    assert "http://evil.example/login" in errors["body_en"][0]
    assert "cert.example.ac.jp" in errors["body_en"][0]
    assert not Campaign.objects.exists()
    # The same refusal in Japanese.
    ca_admin.cookies["jitsuin_lang"] = "ja"
    page = ca_admin.post(reverse("campaigns:create"), _phishing_form(scene))
    assert "リンク" in page.context["form"].errors["body_ja"][0]
    assert "http://evil.example/login" in page.context["form"].errors["body_ja"][0]


@pytest.mark.parametrize(
    ("field", "text", "link"),
    [
        ("body_en", "Sign in at http://evil.example/login within 24h", "http://evil.example/login"),
        ("body_en", "Sign in at evil.example/login today", "evil.example/login"),
        ("body_ja", "詳しくはevil.example/loginへ", "evil.example/login"),
        ("body_ja", "ｅｖｉｌ．ｅｘａｍｐｌｅ／ｌｏｇｉｎ で再登録", "evil.example/login"),
        ("subject_en", "Visit https://cert.example.ac.jp@evil.example/", None),
        ("subject_ja", "至急 //evil.example/a", "//evil.example/a"),
        ("body_en", "Portal: https://cert.example.ac.jp.evil.example/", None),
        ("body_en", "Or try 203.0.113.9/login", "203.0.113.9/login"),
    ],
)
def test_the_service_refuses_texts_that_link_elsewhere(scene, field, text, link):
    with pytest.raises(ForeignLink) as refused, translation.override("en"):
        services.create_campaign(
            "phish",
            old=[scene.old.name],
            new=scene.new.name,
            cutoff=f.CUTOFF,
            deadline=f.DEADLINE,
            actor="user:anyone",
            texts={field: text},
        )
    assert (link or text.split()[-1]) in str(refused.value.message)
    assert not Campaign.objects.exists()


def test_links_to_the_portal_and_e_mail_addresses_are_fine():
    text = (
        f"Steps: {PORTAL}/help/ or cert.example.ac.jp/issue (HTTPS://CERT.EXAMPLE.AC.JP/). "
        "Questions: helpdesk@example.ac.jp, first.last@univ.ac.jp. ポータル（https://cert.example.ac.jp/）へ"
    )
    assert foreign_links(text) == []


def test_invitations_go_out_only_from_checked_texts(scene, draft):
    # A text changed behind the form and the service (by hand in the database).
    Campaign.objects.filter(pk=draft.pk).update(body_en="Sign in at evil.example/login")
    draft.refresh_from_db()
    with pytest.raises(ForeignLink):
        services.start(draft, actor="test", require_preflight=False)
    assert Authority.objects.get(pk=scene.new.pk).status == "pending"
    # A campaign already running when its text was changed sends nothing.
    Campaign.objects.filter(pk=draft.pk).update(body_en="")
    draft.refresh_from_db()
    services.start(draft, actor="test", require_preflight=False)
    Campaign.objects.filter(pk=draft.pk).update(body_en="Sign in at evil.example/login")
    with pytest.raises(ForeignLink):
        mailing.send_invitations(draft)
    assert not OutboxMessage.objects.exists()


def test_the_start_page_shows_the_e_mail_exactly_as_it_goes_out(ca_admin, scene, draft):
    page = ca_admin.get(reverse("campaigns:start", args=[draft.pk]))
    assert page.status_code == 200
    previews = {p.language: p for p in page.context["previews"]}
    assert set(previews) == {"ja", "en"}
    html = page.content.decode()
    for preview in previews.values():
        assert preview.subject in html
    assert previews["ja"].subject == "[jitsuin] 証明書の切り替えのお願い"
    assert previews["en"].subject == "[jitsuin] Please switch your certificate"
    assert f"手順は {PORTAL}/help/ にあります。" in previews["ja"].body
    assert f"The steps are at {PORTAL}/help/." in previews["en"].body
    assert scene.old.name in previews["en"].body and f"{PORTAL}/" in previews["en"].body
    assert "見本 花子 様" in html and "Dear Hanako Sample," in html
    assert Authority.objects.get(pk=scene.new.pk).status == "pending"  # looking changes nothing

    # What went out is what was shown, with each person's own name.
    started = ca_admin.post(
        reverse("campaigns:start", args=[draft.pk]), {"typed": draft.name, "reason": "term"}
    )
    assert started.status_code == 302
    draft.refresh_from_db()
    assert draft.state == CampaignState.STARTED
    assert Authority.objects.get(pk=scene.new.pk).status == "active"
    mailing.send_invitations(draft)
    sent = OutboxMessage.objects.select_related("person").order_by("pk")
    assert sent.count() == 3
    for message in sent:
        preview = previews[message.language]
        sample = "見本 花子" if message.language == "ja" else "Hanako Sample"
        own = message.person.display_name(message.language)
        assert message.subject == preview.subject
        assert message.body == preview.body.replace(sample, own)


def test_a_campaign_whose_texts_were_changed_cannot_be_previewed_or_started(ca_admin, draft):
    Campaign.objects.filter(pk=draft.pk).update(subject_en="Go to evil.example now")
    ca_admin.cookies["jitsuin_lang"] = "en"
    page = ca_admin.get(reverse("campaigns:start", args=[draft.pk]))
    assert page.status_code == 200 and not page.context["previews"]
    assert "evil.example" in page.context["refused"]
    assert f'action="{reverse("campaigns:start", args=[draft.pk])}"' not in page.content.decode()
    ca_admin.post(reverse("campaigns:start", args=[draft.pk]))
    assert Campaign.objects.get(pk=draft.pk).state == CampaignState.DRAFT


def test_ca_admin_cancels_a_campaign_with_a_reason(ca_admin, draft):
    ca_admin.post(reverse("campaigns:cancel", args=[draft.pk]), {"reason": "wrong dates"})
    assert Campaign.objects.get(pk=draft.pk).state == CampaignState.CANCELLED
    event = AuditEvent.objects.get(action="campaign.cancelled")
    assert event.actor == "staff:ca1" and event.data == {"reason": "wrong dates"}


def test_the_detail_page_offers_steering_only_to_ca_admins(helpdesk, ca_admin, draft):
    start = reverse("campaigns:start", args=[draft.pk])
    assert start not in helpdesk.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert start in ca_admin.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
