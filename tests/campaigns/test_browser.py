"""In a real browser: an operator signs in with a one-time code, reads the dry run, starts the
campaign and watches the console's progress bar fill while the invitations go out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.campaigns import services
from jitsuin.campaigns.models import CampaignState
from jitsuin.revocation.publishing import publish_crl
from tests.campaigns import factories as f
from tests.peers import require_tool

pytestmark = [
    pytest.mark.browser,
    pytest.mark.peers,
    pytest.mark.slow,
    pytest.mark.urls("tests.campaigns.urls"),
]

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"
PEOPLE = 30


@pytest.fixture
def story(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    scene = f.scene()
    now = timezone.now()
    persons = f.people(PEOPLE)
    f.holders(persons, scene.old, scene.profiles["overlap"], at=now - timedelta(days=30))
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=now)
    campaign = services.create_campaign(
        "g1-to-g2",
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=now - timedelta(minutes=1),
        deadline=now + timedelta(days=60),
        actor="test",
        texts={"subject_ja": "クライアント証明書の切り替えのお願い"},
    )
    user = User.objects.create_user("op-tanaka", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return {"campaign": campaign, "device": device}


def test_operator_starts_a_campaign_and_watches_the_invitations_go_out(story, live_server):
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    campaign, device = story["campaign"], story["device"]
    url = f"{live_server.url}/console/campaigns/{campaign.pk}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_context(locale="ja-JP").new_page()
        page.goto(f"{live_server.url}/account/login/?next=/console/campaigns/{campaign.pk}/")
        page.fill("input[name=username]", "op-tanaka")
        page.fill("input[name=password]", PASSWORD)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.fill("input[name=otp_token]", f"{code:06d}")
        page.locator("form:has(input[name=username]) [type=submit]").click()
        expect(page).to_have_url(url)
        expect(page.locator("#plan-h")).to_have_text("影響範囲（ドライラン）")
        expect(page.locator("#main")).to_contain_text(f"{PEOPLE}")
        page.screenshot(path=str(SHOTS / "campaign-plan-ja.png"), full_page=True)

        page.get_by_role("button", name="切替キャンペーンを開始").click()
        expect(page.locator(".messages")).to_contain_text("切替キャンペーンを開始しました")
        expect(page.locator("#campaign-tasks")).to_contain_text(f"0 / {PEOPLE}")
        campaign.refresh_from_db()
        assert campaign.state == CampaignState.STARTED

        services.send_invitations(campaign)  # the worker's job, run here
        # htmx polls the progress fragment every 2 s: the bar fills without a reload.
        expect(page.locator("#campaign-tasks")).to_contain_text(
            f"{PEOPLE} / {PEOPLE}", timeout=10_000
        )
        assert page.locator("#campaign-tasks progress").get_attribute("value") == "100"
        page.reload()
        expect(page.locator("#progress-h")).to_have_text("進捗")
        expect(page.locator(".chart rect").first).to_be_attached()
        page.screenshot(path=str(SHOTS / "campaign-progress-ja.png"), full_page=True)
        browser.close()
        # ORM calls made while Playwright runs use their own connection: close it here.
        connections.close_all()
