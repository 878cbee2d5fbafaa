"""What a screen reader hears while the portal polls: a status change lands in the page's one
persistent live region (the same element node before and after, with new text), the polled
panel around it is replaced, focus inside it does not drop to the body, and the "requested:
progress shows here" confirmation goes once nothing is in progress."""

from __future__ import annotations

import pytest
from django.test import Client

from jitsuin.lifecycle import services
from jitsuin.lifecycle.models import Person
from tests.browser.helpers import chromium
from tests.portal.conftest import give_certificate, make_user_person, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]

MARK = """(selector) => { document.querySelector(selector).jitsuinMark = 'before the poll'; }"""
SAME_NODE = """(selector) => document.querySelector(selector).jitsuinMark === 'before the poll'"""


@pytest.fixture
def person(live_server, ca_hierarchy, monkeypatch) -> Person:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    services.default_profile()
    return make_user_person("carol")


def _page(browser, base_url: str, person: Person):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person.user)
    context = browser.new_context(locale="ja-JP")
    context.add_cookies(
        [
            {"name": "jitsuin_lang", "value": "ja", "url": base_url},
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url},
        ]
    )
    return context.new_page()


def _live_text(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(page.locator(selector).text_content() or "").strip()


def test_an_issued_certificate_is_announced_in_the_same_live_region(person, live_server):
    services.request_issue(person, actor="user:carol", idempotency_key="live-issue")
    with chromium() as browser:
        page = _page(browser, live_server.url, person)
        page.goto(live_server.url + "/")
        assert page.locator("[aria-live]").count() == 1
        before = _live_text(page, "#status-live")
        assert "発行申請中" in before
        page.evaluate(MARK, "#status-live")
        page.evaluate(MARK, "#status")
        run_worker()
        page.wait_for_function(
            "() => document.querySelector('#status-live').textContent.includes('ダウンロード可能')",
            timeout=15000,
        )
        assert page.evaluate(SAME_NODE, "#status-live"), "the live region was replaced"
        assert not page.evaluate(SAME_NODE, "#status"), "the panel was not polled"
        assert _live_text(page, "#status-live") != before
        assert page.locator("[aria-live]").count() == 1
        page.context.close()


def test_a_finished_revocation_is_announced_and_keeps_the_focus(person, live_server):
    certificate = give_certificate(person)
    with chromium() as browser:
        page = _page(browser, live_server.url, person)
        page.goto(f"{live_server.url}/certificates/{certificate.pk}/revoke/")
        page.locator("#confirm-revoke").click()
        page.wait_for_selector("[data-progress-message]")
        assert page.locator("#certificate-status").get_attribute("data-status") == "revoking"
        page.evaluate(MARK, "#certificate-live")
        link = page.locator("#certificate-status .request h3 a").first
        link.focus()
        run_worker()
        page.wait_for_selector("#certificate-status[data-status=revoked]", timeout=15000)
        page.wait_for_function(
            "() => document.querySelector('#certificate-live').textContent.trim() === '失効'"
        )
        assert page.evaluate(SAME_NODE, "#certificate-live"), "the live region was replaced"
        focused = page.evaluate(
            """() => document.activeElement !== document.body &&
                 !!document.activeElement.closest('#certificate-status')"""
        )
        assert focused, "focus dropped to the body"
        assert page.locator("[data-progress-message]").count() == 0
        assert page.locator("[data-testid=next-step] a[href='/issue/']").is_visible()
        page.context.close()
