"""In a real browser: a helpdesk member signs in with a one-time code, finds a stuck request,
retries it with a reason; once the worker has run, the user's own page offers the download."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Pickup, Request
from jitsuin.lifecycle.services import default_profile
from tests.notify import factories
from tests.peers import require_tool

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]

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


def otp_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def story(live_server, ca_hierarchy, monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ensure_roles()
    default_profile()
    alice_user = User.objects.create_user("alice", password=PASSWORD)
    alice = factories.person(
        "alice", user=alice_user, name_ja="北陸 アリス", name_en="Alice Hokuriku"
    )
    stuck = factories.request(alice, at=timezone.now() - timedelta(days=12), state="failed")
    Request.objects.filter(pk=stuck.pk).update(
        attempts=8, last_error="ConnectorError: upstream CA did not answer"
    )
    staff = User.objects.create_user("hd-sato", password=PASSWORD)
    staff.groups.add(Group.objects.get(name="helpdesk"))
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    return {"request": stuck, "device": device, "alice": alice}


LANGUAGES = {
    "ja": {"locale": "ja-JP", "reason": "上流CA復旧のため再試行", "ready": "ダウンロード可能"},
    "en": {"locale": "en-US", "reason": "upstream CA is back", "ready": "Ready to download"},
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_helpdesk_finds_a_stuck_request_and_retries_it(story, live_server, lang):
    words = LANGUAGES[lang]
    chromium = require_tool("chromium")
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    stuck = story["request"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        staff_page = browser.new_context(locale=words["locale"]).new_page()
        staff_page.goto(f"{live_server.url}/account/login/?next=/console/")
        staff_page.fill("input[name=username]", "hd-sato")
        staff_page.fill("input[name=password]", PASSWORD)
        staff_page.fill("input[name=otp_token]", otp_code(story["device"]))
        staff_page.locator("form:has(input[name=username]) [type=submit]").click()
        expect(staff_page).to_have_url(f"{live_server.url}/console/")
        expect(staff_page.get_by_test_id("stuck-count")).to_have_text("1")
        staff_page.screenshot(path=str(SHOTS / f"console-dashboard-{lang}.png"), full_page=True)

        staff_page.get_by_test_id("stuck-count").click()
        row = staff_page.get_by_test_id(f"stuck-{stuck.pk}")
        expect(row).to_contain_text("alice")
        expect(row).to_contain_text("upstream CA did not answer")
        row.get_by_test_id(f"retry-{stuck.pk}-reason").fill(words["reason"])
        staff_page.screenshot(path=str(SHOTS / f"console-stuck-{lang}.png"), full_page=True)
        row.get_by_test_id(f"retry-{stuck.pk}").click()
        expect(staff_page.locator(".messages")).to_contain_text(str(stuck.pk))
        expect(staff_page.get_by_test_id(f"stuck-{stuck.pk}")).to_have_count(1)

        stuck.refresh_from_db()
        assert stuck.state == "queued" and stuck.attempts == 0
        for _ in range(5):  # the worker's steps, run here so the test needs no thread timing
            pipeline.advance(stuck.pk, worker_id="browser-test")
            stuck.refresh_from_db()
            if stuck.state == "ready":
                break
        assert stuck.state == "ready"
        pickup = Pickup.objects.get(request=stuck)

        # No reload: the queue refreshes itself (htmx, every 10 s).
        expect(staff_page.get_by_test_id(f"stuck-{stuck.pk}")).to_have_count(0, timeout=20_000)
        staff_page.goto(f"{live_server.url}{reverse('console:person', args=[story['alice'].pk])}")
        expect(staff_page.get_by_test_id(f"state-{stuck.pk}")).to_have_text(words["ready"])
        staff_page.screenshot(path=str(SHOTS / f"console-person-{lang}.png"), full_page=True)

        user_page = browser.new_context(locale=words["locale"]).new_page()
        user_page.goto(f"{live_server.url}/account/login/")
        user_page.fill("input[name=username]", "alice")
        user_page.fill("input[name=password]", PASSWORD)
        user_page.locator("form:has(input[name=username]) [type=submit]").click()
        user_page.goto(f"{live_server.url}/")
        download = user_page.locator(f"a[href='{reverse('portal:download', args=[pickup.pk])}']")
        expect(download).to_be_visible()
        shot = SHOTS / f"console-user-after-retry-{lang}.png"
        user_page.screenshot(path=str(shot), full_page=True)
        browser.close()
        # ORM calls made while Playwright runs use their own connection: close it here.
        connections.close_all()
