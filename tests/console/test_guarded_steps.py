"""The guarded steps in the console: start and the revocation confirmation show their
consequence in numbers, take the campaign's name typed exactly and a reason, and the
revocation takes two different CA admins (the same one twice is refused; withdrawable)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import services
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.console.campaigns.cards import running_campaign_cards
from tests.campaigns import factories as f
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    return f.scene()


@pytest.fixture
def draft(scene):
    return f.campaign_starting_now(scene, 4, name="g1-to-g2", real=1)


@pytest.fixture
def awaiting(scene, draft):
    """Started (one of four moved) and its final summary waiting for confirmation."""
    campaign = services.start(draft, actor="staff:ca1", require_preflight=False)
    moved = campaign.members.order_by("person__uid").first().person
    f.real_certificate(moved, scene.new, scene.profiles["overlap"], at=timezone.now())
    services.prepare_summary(campaign)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def second_admin(db):
    return sign_in(staff("ca2", "ca-admin"))


def _state(campaign: Campaign) -> str:
    return Campaign.objects.get(pk=campaign.pk).state


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_start_page_shows_the_consequence_and_refuses_a_mistyped_name(ca_admin, draft):
    url = reverse("campaigns:start", args=[draft.pk])
    page = ca_admin.get(url).content.decode()
    assert "4 人に今すぐ案内メールが送られます。" in page and draft.new_authority.name in page
    assert "この操作は取り消せません" in page

    ca_admin.cookies["jitsuin_lang"] = "en"
    refused = ca_admin.post(url, {"typed": "g1-to-g3", "reason": "term"})
    assert refused.status_code == 200
    assert "does not match the campaign&#x27;s name (g1-to-g2)" in refused.content.decode()
    assert "Nothing was started" in _messages(refused)
    no_reason = ca_admin.post(url, {"typed": draft.name, "reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    too_long = ca_admin.post(url, {"typed": draft.name, "reason": "x" * 501})
    assert too_long.context["form"].errors["reason"]
    assert _state(draft) == CampaignState.DRAFT
    assert not AuditEvent.objects.filter(action="campaign.started").exists()

    started = ca_admin.post(url, {"typed": draft.name, "reason": "summer term"})
    assert started.status_code == 302 and _state(draft) == CampaignState.STARTED
    event = AuditEvent.objects.get(action="campaign.started")
    assert (event.actor, event.data["reason"]) == ("staff:ca1", "summer term")


def test_two_different_ca_admins_confirm_the_revocation(ca_admin, second_admin, awaiting):
    url = reverse("campaigns:confirm", args=[awaiting.pk])
    detail = reverse("campaigns:detail", args=[awaiting.pk])
    now = timezone.now()
    page = ca_admin.get(url).content.decode()
    assert "4 人中 3 人（75 %）が" in page and "Wi-Fi/VPN/SSO を使えなくなります" in page
    assert "1人目として確認</button>" in page

    refused = ca_admin.post(url, {"typed": "g1", "reason": "ok"})
    assert refused.status_code == 200 and refused.context["form"].errors["typed"]
    assert ca_admin.post(url, {"typed": awaiting.name, "reason": ""}).status_code == 200
    assert not AuditEvent.objects.filter(action="campaign.confirmation_requested").exists()

    first = ca_admin.post(url, {"typed": awaiting.name, "reason": "numbers checked"}, follow=True)
    assert "別の CA 管理者による2人目の確認が必要です" in _messages(first)
    assert _state(awaiting) == CampaignState.AWAITING_CONFIRMATION

    # The first admin is told a second one is needed, and offered only the withdrawal.
    own = ca_admin.get(detail).content.decode()
    assert "2人目の確認待ち：1人目は staff:ca1 が" in own and "（理由：numbers checked）" in own
    assert "2人目の確認は別の CA 管理者が行ってください" in own
    assert "1人目として確認</button>" not in ca_admin.get(url).content.decode()
    again = ca_admin.post(url, {"typed": awaiting.name, "reason": "again"})
    assert again.status_code == 200 and "2人目の確認は別の CA 管理者" in _messages(again)
    assert _state(awaiting) == CampaignState.AWAITING_CONFIRMATION
    cards = {
        u: running_campaign_cards(User.objects.get(username=u), now=now) for u in ("ca1", "ca2")
    }
    assert not cards["ca1"][0].awaiting_your_confirmation  # dual control: not them again
    assert cards["ca2"][0].awaiting_your_confirmation

    # The second admin sees who confirmed first, and confirms.
    theirs = second_admin.get(detail).content.decode()
    assert "2人目の確認待ち：1人目は staff:ca1 が" in theirs
    assert "2人目の確認は別の CA 管理者が行ってください" not in theirs
    assert "2人目として確認</button>" in second_admin.get(url).content.decode()
    done = second_admin.post(url, {"typed": awaiting.name, "reason": "agreed"}, follow=True)
    assert "2人の CA 管理者が失効を確認しました" in _messages(done)
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.CONFIRMED
    assert (awaiting.first_confirmed_by, awaiting.confirmed_by) == ("staff:ca1", "staff:ca2")
    assert "staff:ca1 と staff:ca2 が確認しました" in done.content.decode()
    event = AuditEvent.objects.get(action="campaign.confirmed")
    assert (event.actor, event.data["first"]["by"]) == ("staff:ca2", "staff:ca1")


def test_the_first_confirmation_is_withdrawn_and_postpone_clears_it(
    ca_admin, second_admin, awaiting
):
    url = reverse("campaigns:confirm", args=[awaiting.pk])
    withdraw = reverse("campaigns:confirm_withdraw", args=[awaiting.pk])
    assert ca_admin.post(withdraw, {"reason": "x"}).status_code == 302  # nothing to withdraw
    ca_admin.post(url, {"typed": awaiting.name, "reason": "first"})
    assert ca_admin.post(withdraw, {"reason": ""}).status_code == 302  # a reason is needed
    assert Campaign.objects.get(pk=awaiting.pk).first_confirmed_by == "staff:ca1"
    ca_admin.post(withdraw, {"reason": "wrong numbers"})
    awaiting.refresh_from_db()
    assert (
        awaiting.first_confirmed_by == "" and awaiting.state == CampaignState.AWAITING_CONFIRMATION
    )
    event = AuditEvent.objects.get(action="campaign.confirmation_withdrawn")
    assert (event.actor, event.data["reason"]) == ("staff:ca1", "wrong numbers")

    # A first confirmation does not survive a postponement.
    ca_admin.post(url, {"typed": awaiting.name, "reason": "first again"})
    later = awaiting.deadline.replace(microsecond=0) + f.timedelta(days=7)
    second_admin.post(
        reverse("campaigns:postpone", args=[awaiting.pk]),
        {"to": f"{later.astimezone():%Y-%m-%dT%H:%M}", "reason": "exams"},
    )
    awaiting.refresh_from_db()
    assert awaiting.state == CampaignState.STARTED and awaiting.first_confirmed_by == ""


def test_the_confirmation_page_outside_awaiting_offers_nothing(ca_admin, draft):
    page = ca_admin.get(reverse("campaigns:confirm", args=[draft.pk]))
    assert page.status_code == 200 and page.context["consequence"] is None
    assert "1人目として確認</button>" not in page.content.decode()
    ca_admin.post(
        reverse("campaigns:confirm", args=[draft.pk]), {"typed": draft.name, "reason": "x"}
    )
    assert _state(draft) == CampaignState.DRAFT


def test_helpdesk_and_operator_cannot_confirm_or_withdraw(helpdesk, operator, awaiting):
    for client in (helpdesk, operator):
        for name in ("campaigns:confirm", "campaigns:confirm_withdraw"):
            response = client.post(
                reverse(name, args=[awaiting.pk]), {"typed": awaiting.name, "reason": "x"}
            )
            assert response.status_code == 403
    assert Campaign.objects.get(pk=awaiting.pk).first_confirmed_by == ""
