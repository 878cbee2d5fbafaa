"""In a real browser, in Japanese: an operator schedules a maintenance window (the connector
chosen from a list) and publishes a notice; the portal shows the notice and the banner, a
request made during the window is accepted and waits; the console then says the window is in
progress and how many requests wait. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle.models import WAIT_MAINTENANCE, MaintenanceWindow, Request, RequestState
from jitsuin.lifecycle.services import default_profile
from jitsuin.notify.models import Notice
from tests.browser.helpers import SCREENSHOTS, chromium, sign_in
from tests.notify import factories
from tests.staff_fixtures import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]


@pytest.fixture
def cast(live_server, ca_hierarchy, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ensure_roles()
    default_profile()
    user = User.objects.create_user("k0031", password=PASSWORD)
    person = factories.person("k0031", user=user, name_ja="加賀 花子", name_en="Hanako Kaga")
    operator = User.objects.create_user("op-tanaka", password=PASSWORD)
    operator.groups.add(Group.objects.get(name="operator"))
    return {"device": totp_device(operator), "person": person}


def _local_input(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"story-operator-{name}.png"), full_page=True)


def test_operator_sets_a_window_and_a_notice_and_requests_wait(cast, live_server):
    now = timezone.now()
    with chromium() as browser:
        from playwright.sync_api import expect

        console = browser.new_context(locale="ja-JP").new_page()
        sign_in(console, live_server.url, "op-tanaka", device=cast["device"], next_path="/console/")
        expect(console).to_have_url(f"{live_server.url}/console/")

        # The window: from a minute ago for half an hour, on the builtin connector.
        console.goto(f"{live_server.url}/console/maintenance/")
        expect(console.locator("h1")).to_have_text("メンテナンス予定")
        console.fill("#id_starts_at", _local_input(now - timedelta(minutes=1)))
        console.fill("#id_ends_at", _local_input(now + timedelta(minutes=30)))
        console.select_option("#id_scope", "both")
        assert console.locator("#id_connector option").all_inner_texts() == ["builtin"]
        console.select_option("#id_connector", "builtin")
        console.fill("#id_note_ja", "上位認証局の計画停止のため")
        console.fill("#id_note_en", "Planned upstream CA outage")
        console.fill("#id_reason", "NII からの通知")
        _shot(console, "01-maintenance-form")
        console.locator("form.stacked [type=submit]").click()
        window = MaintenanceWindow.objects.get()
        assert window.created_by == "staff:op-tanaka" and window.connector == "builtin"
        phase = console.get_by_test_id(f"window-row-{window.pk}").get_by_test_id("window-phase")
        expect(phase).to_have_text("実施中 · 0 件が待機中")
        _shot(console, "02-maintenance-created")

        # The notice.
        console.goto(f"{live_server.url}/console/notices/new")
        console.fill("#id_title_ja", "証明書発行の一時停止")
        console.fill("#id_title_en", "Certificate issuing paused")
        console.fill("#id_body_ja", "メンテナンス中の申請は受け付け、終了後に処理します。")
        console.fill("#id_body_en", "Requests made now are processed after the maintenance.")
        console.fill("#id_publish_at", _local_input(now - timedelta(minutes=1)))
        _shot(console, "03-notice-form")
        console.locator("main form [type=submit]").first.click()
        expect(console.locator(".messages")).to_be_visible()
        assert Notice.objects.published(timezone.now()).count() == 1

        # The user: the notice on the home page, the banner, and a request that waits.
        portal = browser.new_context(locale="ja-JP").new_page()
        sign_in(portal, live_server.url, "k0031")
        expect(portal.locator(".notice-list")).to_contain_text("証明書発行の一時停止")
        expect(portal.locator("body")).to_contain_text("上位認証局の計画停止のため")
        _shot(portal, "04-portal-home-notice")
        portal.click("a#issue-button")
        portal.click("#confirm-issue")
        request = Request.objects.get(person=cast["person"])
        assert request.state == RequestState.WAITING and request.wait_reason == WAIT_MAINTENANCE
        assert request.not_before == window.ends_at
        _shot(portal, "05-portal-request-waiting")

        # Back in the console: in progress, one request waiting.
        console.goto(f"{live_server.url}/console/maintenance/")
        phase = console.get_by_test_id(f"window-row-{window.pk}").get_by_test_id("window-phase")
        expect(phase).to_have_text("実施中 · 1 件が待機中")
        _shot(console, "06-maintenance-one-waiting")
