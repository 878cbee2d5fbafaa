"""The helpdesk works the stuck queue in Japanese, in a real browser: claims a request, retries
it, asks the upstream again about another, cancels a third with a reason; that user gets an
e-mail with the reason and sees it in the portal history. Screenshots in
test-artifacts/screenshots/helpdesk-story-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.console.models import StuckClaim
from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle.models import WAIT_UPSTREAM, Request
from jitsuin.lifecycle.services import default_profile
from jitsuin.notify.models import OutboxMessage
from tests.browser.helpers import SCREENSHOTS, chromium, sign_in
from tests.notify import factories
from tests.staff_fixtures import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]

REASON = "重複した申請のため取り消します"


def user(uid: str, name_ja: str, affiliation: str):
    account = User.objects.create_user(uid, password=PASSWORD)
    return factories.person(
        uid, user=account, name_ja=name_ja, name_en=uid, affiliation=affiliation
    )


@pytest.fixture
def queue(live_server, ca_hierarchy, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ensure_roles()
    default_profile()
    old = timezone.now() - timedelta(days=12)
    failed = factories.request(user("k001", "山田 花子", "工学部"), at=old, state="failed")
    Request.objects.filter(pk=failed.pk).update(
        last_error="ConnectorRejected: upstream refused the order"
    )
    upstream = factories.request(
        user("k002", "高橋 美咲", "理学部"),
        at=old,
        state="processing",
        wait_reason=WAIT_UPSTREAM,
        connector_ref="upstream-77",
        not_before=timezone.now() + timedelta(hours=6),
    )
    doomed = factories.request(user("k003", "佐藤 健", "医学部"), at=old, state="failed")
    staff = User.objects.create_user("hd-sato", password=PASSWORD)
    staff.groups.add(Group.objects.get(name="helpdesk"))
    return {
        "failed": failed,
        "upstream": upstream,
        "doomed": doomed,
        "device": totp_device(staff),
    }


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"helpdesk-story-{name}.png"), full_page=True)


def test_helpdesk_works_the_stuck_queue_and_the_user_is_told(queue, live_server):
    failed, upstream, doomed = queue["failed"], queue["upstream"], queue["doomed"]
    with chromium() as browser:
        from playwright.sync_api import expect

        staff = browser.new_context(locale="ja-JP").new_page()
        sign_in(staff, live_server.url, "hd-sato", device=queue["device"], next_path="/console/")
        expect(staff).to_have_url(f"{live_server.url}/console/")
        staff.goto(f"{live_server.url}/console/requests/stuck/")
        expect(staff.locator("h1")).to_have_text("滞留中の申請")
        row = staff.get_by_test_id(f"stuck-{failed.pk}")
        expect(row).to_contain_text("山田 花子")
        expect(row).to_contain_text("工学部")
        expect(staff.get_by_test_id(f"stuck-{upstream.pk}")).to_contain_text("上位CAの処理待ち")
        shot(staff, "1-queue")

        # Claim: colleagues see who handles it.
        row.get_by_test_id(f"claim-{failed.pk}").click()
        expect(staff.locator(".messages")).to_contain_text(f"申請 {failed.pk} の担当になりました")
        holder = staff.get_by_test_id(f"stuck-{failed.pk}-holder")
        expect(holder).to_contain_text("hd-sato が対応中")
        shot(staff, "2-claimed")

        # Retry it: the row says who retried and when.
        row = staff.get_by_test_id(f"stuck-{failed.pk}")
        row.get_by_test_id(f"retry-{failed.pk}-reason").fill("上位CAの設定を直したので再試行")
        row.get_by_test_id(f"retry-{failed.pk}").click()
        expect(staff.get_by_test_id(f"stuck-{failed.pk}-last")).to_contain_text("hd-sato が再試行")
        shot(staff, "3-retried")

        # Ask the upstream again now about the request it holds.
        staff.get_by_test_id(f"repoll-{upstream.pk}").click()
        expect(staff.locator(".messages")).to_contain_text("上位CAに今すぐ照会します")
        expect(staff.get_by_test_id(f"stuck-{upstream.pk}-last")).to_contain_text("上位CAに再照会")

        # Cancel the third with a reason.
        row = staff.get_by_test_id(f"stuck-{doomed.pk}")
        row.get_by_test_id(f"cancel-{doomed.pk}-reason").fill(REASON)
        row.get_by_test_id(f"cancel-{doomed.pk}").click()
        expect(staff.locator(".messages")).to_contain_text(f"申請 {doomed.pk} を取り消しました")
        expect(staff.get_by_test_id(f"stuck-{doomed.pk}")).to_have_count(0)
        shot(staff, "4-after-cancel")

        assert StuckClaim.objects.get(request=failed).holder == "staff:hd-sato"
        assert Request.objects.get(pk=failed.pk).state == "queued"
        assert AuditEvent.objects.filter(
            action="request.issue.repolled", actor="staff:hd-sato"
        ).exists()

        # The user's e-mail, in Japanese, with the reason.
        mail = OutboxMessage.objects.get(event="request_cancelled", person=doomed.person)
        assert "ヘルプデスクが取り消しました" in mail.subject
        assert f"取り消しの理由: {REASON}" in mail.body

        # The user's portal history says who cancelled it and why.
        portal = browser.new_context(locale="ja-JP").new_page()
        sign_in(portal, live_server.url, "k003")
        portal.goto(f"{live_server.url}/")
        expect(portal.locator(f"#history-{doomed.pk}")).to_contain_text(
            f"ヘルプデスクが取り消しました：{REASON}"
        )
        shot(portal, "5-portal-k003")

        portal.goto(f"{live_server.url}/requests/{doomed.pk}/")
        expect(portal.locator("ol.history")).to_contain_text(
            f"ヘルプデスクが取り消しました：{REASON}"
        )
        shot(portal, "6-portal-k003-request")
