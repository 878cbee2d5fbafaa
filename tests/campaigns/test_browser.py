"""In a real browser: a CA admin signs in with a one-time code, reads the dry run, reviews the
invitation exactly as it will go out, starts the campaign and watches the console's progress
bar fill while the invitations go out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from jitsuin.campaigns import mailing
from jitsuin.campaigns.models import CampaignState
from jitsuin.console.roles import ensure_roles
from tests.browser.helpers import SCREENSHOTS, chromium, sign_in
from tests.campaigns import factories as f
from tests.staff_fixtures import PASSWORD, totp_device

pytestmark = [
    pytest.mark.browser,
    pytest.mark.peers,
    pytest.mark.slow,
    pytest.mark.urls("tests.campaigns.urls"),
]

PEOPLE = 30


@pytest.fixture
def story(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    campaign = f.campaign_starting_now(
        f.scene(),
        PEOPLE,
        name="g1-to-g2",
        texts={"subject_ja": "クライアント証明書の切り替えのお願い"},
    )
    ensure_roles()
    user = User.objects.create_user("ca-tanaka", password=PASSWORD)
    user.groups.add(Group.objects.get(name="ca-admin"))
    return {"campaign": campaign, "device": totp_device(user)}


def test_ca_admin_starts_a_campaign_and_watches_the_invitations_go_out(story, live_server):
    campaign, device = story["campaign"], story["device"]
    url = f"{live_server.url}/console/campaigns/{campaign.pk}/"
    with chromium() as browser:
        from playwright.sync_api import expect

        page = browser.new_context(locale="ja-JP").new_page()
        sign_in(
            page,
            live_server.url,
            "ca-tanaka",
            device=device,
            next_path=f"/console/campaigns/{campaign.pk}/",
        )
        expect(page).to_have_url(url)
        expect(page.locator("#plan-h")).to_have_text("影響範囲（ドライラン）")
        expect(page.locator("#main")).to_contain_text(f"{PEOPLE}")
        page.screenshot(path=str(SCREENSHOTS / "campaign-plan-ja.png"), full_page=True)

        page.get_by_role("link", name="送信されるメールを確認して開始").click()
        expect(page.locator("#preview-h")).to_have_text("送信されるメール")
        expect(page.locator(".mail-preview[lang=ja] .mail-subject")).to_have_text(
            "[jitsuin] クライアント証明書の切り替えのお願い"
        )
        expect(page.locator(".mail-preview[lang=en] .mail-body")).to_contain_text(
            "Dear Hanako Sample,"
        )
        page.screenshot(path=str(SCREENSHOTS / "campaign-start-preview-ja.png"), full_page=True)
        page.get_by_label("確認のためキャンペーン名を入力").fill(campaign.name)
        page.get_by_label("理由（監査ログに残ります）").fill("後期の切り替え")
        page.get_by_role("button", name="切替キャンペーンを開始").click()
        expect(page.locator(".messages")).to_contain_text("切替キャンペーンを開始しました")
        expect(page.locator("#campaign-tasks")).to_contain_text(f"0 / {PEOPLE}")
        campaign.refresh_from_db()
        assert campaign.state == CampaignState.STARTED

        mailing.send_invitations(campaign)  # the worker's job, run here
        # htmx polls the progress fragment every 2 s: the bar fills without a reload.
        expect(page.locator("#campaign-tasks")).to_contain_text(
            f"{PEOPLE} / {PEOPLE}", timeout=10_000
        )
        assert page.locator("#campaign-tasks progress").get_attribute("value") == "100"
        page.reload()
        expect(page.locator("#progress-h")).to_have_text("進捗")
        expect(page.locator(".chart rect").first).to_be_attached()
        page.screenshot(path=str(SCREENSHOTS / "campaign-progress-ja.png"), full_page=True)
