"""In a real browser: a helpdesk member signs in with a one-time code, finds a stuck request,
retries it with a reason; once the worker has run, the user's own page offers the download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Pickup, Request
from jitsuin.lifecycle.services import default_profile
from tests.browser.helpers import SCREENSHOTS, chromium, sign_in
from tests.notify import factories
from tests.staff_fixtures import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]


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
    return {"request": stuck, "device": totp_device(staff), "alice": alice}


LANGUAGES = {
    "ja": {"locale": "ja-JP", "reason": "上流CA復旧のため再試行", "ready": "ダウンロード可能"},
    "en": {"locale": "en-US", "reason": "upstream CA is back", "ready": "Ready to download"},
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_helpdesk_finds_a_stuck_request_and_retries_it(story, live_server, lang):
    words = LANGUAGES[lang]
    stuck = story["request"]
    with chromium() as browser:
        from playwright.sync_api import expect

        staff_page = browser.new_context(locale=words["locale"]).new_page()
        sign_in(
            staff_page, live_server.url, "hd-sato", device=story["device"], next_path="/console/"
        )
        expect(staff_page).to_have_url(f"{live_server.url}/console/")
        expect(staff_page.get_by_test_id("stuck-count")).to_have_text("1")
        dashboard = SCREENSHOTS / f"console-dashboard-{lang}.png"
        staff_page.screenshot(path=str(dashboard), full_page=True)

        staff_page.get_by_test_id("stuck-count").click()
        row = staff_page.get_by_test_id(f"stuck-{stuck.pk}")
        expect(row).to_contain_text("alice")
        expect(row).to_contain_text("upstream CA did not answer")
        row.get_by_test_id(f"retry-{stuck.pk}-reason").fill(words["reason"])
        staff_page.screenshot(path=str(SCREENSHOTS / f"console-stuck-{lang}.png"), full_page=True)
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
        staff_page.screenshot(path=str(SCREENSHOTS / f"console-person-{lang}.png"), full_page=True)

        user_page = browser.new_context(locale=words["locale"]).new_page()
        sign_in(user_page, live_server.url, "alice")
        user_page.goto(f"{live_server.url}/")
        download = user_page.locator(f"a[href='{reverse('portal:download', args=[pickup.pk])}']")
        expect(download).to_be_visible()
        shot = SCREENSHOTS / f"console-user-after-retry-{lang}.png"
        user_page.screenshot(path=str(shot), full_page=True)
