"""The CA admin's story, in Japanese, in a real browser: open the campaign from the console
navigation, run the dry run and the pre-flight checks, preview the e-mails and send a test
to oneself, start with the campaign's name typed and a reason, send a reminder from the
console, watch the progress, and, at the final summary, confirm the revocation under dual
control: the first admin confirms, is told a second admin is needed, and a second CA admin
confirms.

Each step is a function of its own (``step_...``) and leaves a screenshot
``story-ca-admin-NN-....png`` in test-artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.campaigns import mailtext, services
from jitsuin.campaigns.models import Campaign, CampaignState, Member
from jitsuin.console.roles import ensure_roles
from jitsuin.notify.models import OutboxMessage
from tests.browser.helpers import SCREENSHOTS, chromium, sign_in
from tests.campaigns import factories as f
from tests.campaigns.test_bulk_and_banner import run_bulk_worker
from tests.staff_fixtures import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]

PEOPLE = 8
MOVED = 2
FIRST, SECOND = "ca-tanaka", "ca-suzuki"


@pytest.fixture
def story(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    scene = f.scene()
    campaign = f.campaign_starting_now(
        scene,
        PEOPLE,
        name="g1-to-g2",
        texts={"subject_ja": "クライアント証明書の切り替えのお願い"},
    )
    ensure_roles()
    devices = {}
    for username in (FIRST, SECOND):
        user = User.objects.create_user(
            username, email=f"{username}@example.ac.jp", password=PASSWORD
        )
        user.groups.add(Group.objects.get(name="ca-admin"))
        devices[username] = totp_device(user)
    return {"campaign": campaign, "scene": scene, "devices": devices}


def shot(page: Any, number: int, name: str) -> None:
    page.screenshot(
        path=str(SCREENSHOTS / f"story-ca-admin-{number:02d}-{name}.png"), full_page=True
    )


def open_console(browser: Any, base_url: str, story: dict[str, Any], username: str) -> Any:
    page = browser.new_context(locale="ja-JP").new_page()
    sign_in(page, base_url, username, device=story["devices"][username], next_path="/console/")
    return page


def step_open_from_the_navigation(page: Any, campaign: Campaign) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("nav-campaigns").click()
    expect(page.locator("h1")).to_contain_text("切替キャンペーン")
    page.get_by_role("link", name=campaign.name).click()
    expect(page.locator("h1")).to_have_text(campaign.name)
    shot(page, 1, "campaign-from-navigation")


def step_dry_run_and_preflight(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#plan-h")).to_have_text("影響範囲（ドライラン）")
    expect(page.locator("#main")).to_contain_text(str(PEOPLE))
    page.get_by_role("button", name="チェックを実行").click()
    expect(page.locator(".messages")).to_contain_text("事前チェック")
    expect(page.locator(".checks")).to_be_visible()
    shot(page, 2, "dry-run-and-preflight")


def step_preview(page: Any, campaign: Campaign) -> None:
    """Both e-mails in both languages, exactly as sent: the deadline with its weekday."""
    from playwright.sync_api import expect

    page.locator("#mail-preview-link").click()
    expect(page.locator("h1")).to_have_text("キャンペーンのメール")
    for section in ("invite-ja", "invite-en", "reminder-ja", "reminder-en"):
        expect(page.locator(f"#preview-{section}")).to_be_visible()
    invite_ja = page.locator("#preview-invite-ja")
    expect(invite_ja).to_contain_text(mailtext.format_deadline(campaign.deadline, "ja"))
    expect(invite_ja).to_contain_text("クライアント証明書の切り替えのお願い")
    assert "{{" not in page.locator("#main").inner_text()
    shot(page, 3, "mail-preview")


def step_test_send(page: Any, campaign: Campaign) -> None:
    """The Japanese invitation to the admin's own address only, its subject marked [TEST]."""
    from playwright.sync_api import expect

    form = page.locator("#test-send-form")
    form.locator("select[name=language]").select_option("ja")
    form.locator("select[name=kind]").select_option("invite")
    page.locator("#test-send").click()
    expect(page.locator(".messages")).to_contain_text(f"{FIRST}@example.ac.jp")
    sent = list(OutboxMessage.objects.all())
    assert [m.to for m in sent] == [f"{FIRST}@example.ac.jp"]
    assert sent[0].subject.startswith("[TEST] ") and sent[0].person_id is None
    expect(form.locator("select[name=language]")).to_have_value("ja")  # the choice stays
    shot(page, 4, "test-sent-to-myself")
    page.get_by_role("link", name=f"← {campaign.name}").click()


def step_start(page: Any, campaign: Campaign) -> None:
    """The consequence in numbers; a mistyped name is refused; the right one and a reason start."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="送信されるメールを確認して開始").click()
    guarded = page.locator("form.guarded")
    expect(guarded).to_contain_text(f"{PEOPLE} 人に今すぐ案内メールが送られます。")
    expect(guarded).to_contain_text(campaign.new_authority.name)
    page.get_by_label("確認のためキャンペーン名を入力").fill("g1-to-g3")
    page.get_by_label("理由（監査ログに残ります）").fill("後期開始前の切り替え")
    page.get_by_role("button", name="切替キャンペーンを開始").click()
    expect(page.locator("#typed-errors")).to_contain_text("一致しません")
    shot(page, 5, "start-name-mistyped")
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DRAFT

    page.get_by_label("確認のためキャンペーン名を入力").fill(campaign.name)
    page.get_by_label("理由（監査ログに残ります）").fill("後期開始前の切り替え")
    shot(page, 6, "start-typed-and-reason")
    page.get_by_role("button", name="切替キャンペーンを開始").click()
    expect(page.locator(".messages")).to_contain_text("切替キャンペーンを開始しました")
    shot(page, 7, "started")
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.STARTED


def migrate(story: dict[str, Any], number: int) -> None:
    """The ``number``-th member (by uid) gets a certificate from the new intermediate."""
    campaign, scene = story["campaign"], story["scene"]
    member = campaign.members.order_by("person__uid")[number]
    f.real_certificate(member.person, scene.new, scene.profiles["overlap"], at=timezone.now())


def step_remind_now(page: Any, story: dict[str, Any]) -> None:
    """One person has moved; a reminder now goes, through the worker, to the other seven."""
    from playwright.sync_api import expect

    campaign = story["campaign"]
    migrate(story, 0)
    page.reload()
    page.locator("#remind-now").click()
    expect(page.locator(".messages")).to_contain_text(f"{PEOPLE - 1} 人への督促メール")
    run_bulk_worker()
    members = Member.objects.filter(campaign=campaign).order_by("person__uid")
    waiting = [m.person_id for m in members[1:]]
    reminded = OutboxMessage.objects.filter(event="campaign_reminder")
    assert sorted(reminded.values_list("person_id", flat=True)) == sorted(waiting)
    page.reload()
    shot(page, 8, "reminder-sent-from-console")


def step_progress(page: Any, story: dict[str, Any]) -> None:
    """A second person moves: the page shows 25 % migrated, in figures and on a chart."""
    from playwright.sync_api import expect

    migrate(story, 1)
    page.reload()
    migrated = page.locator("tr.cat-migrated")
    expect(migrated).to_contain_text(str(MOVED))
    expect(migrated).to_contain_text(f"{100 * MOVED / PEOPLE:.1f}")
    chart = page.get_by_test_id("campaign-chart")
    expect(chart.locator("svg.chart")).to_be_visible()
    axis = chart.locator(".chart-y text")
    expect(axis).to_have_text(["100%", "50%", "0%"])
    top, bottom = axis.first.bounding_box(), axis.last.bounding_box()
    assert top and bottom and bottom["y"] - top["y"] > 100  # the axis is 160 px tall
    expect(chart.locator(".chart-x text").last).to_contain_text(
        timezone.localtime().strftime("%H:")
    )
    expect(chart.locator("figcaption")).to_contain_text(
        "キャンペーン対象者に占める割合（0〜100 %）"
    )
    page.locator("#progress-h").scroll_into_view_if_needed()
    shot(page, 9, "progress")


def step_person_page(page: Any, story: dict[str, Any]) -> None:
    """From the stragglers to one person's page: the campaign, its category, the mails sent."""
    from playwright.sync_api import expect

    campaign = story["campaign"]
    uid = campaign.members.order_by("person__uid")[MOVED].person.uid
    page.get_by_role("link", name=uid, exact=True).click()
    memberships = page.get_by_test_id("campaign-memberships")
    expect(memberships).to_contain_text(campaign.name)
    expect(memberships).to_contain_text("未着手")
    expect(memberships).to_contain_text("リマインダー送信 1 回")
    expect(memberships).to_contain_text("リマインダー（手動送信）")
    shot(page, 10, "straggler-person-page")
    page.go_back()


def step_final_summary(page: Any) -> None:
    """The CA admin prepares the final summary."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="今すぐ最終サマリーを作成").click()
    expect(page.locator("#deadline-h")).to_be_visible()
    shot(page, 11, "final-summary")


def step_first_confirmation(page: Any, campaign: Campaign) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="失効を承認").click()
    guarded = page.locator("form.guarded")
    left = PEOPLE - MOVED
    percent = round(100 * left / PEOPLE)
    expect(guarded).to_contain_text(f"{PEOPLE} 人中 {left} 人（{percent} %）が")
    expect(guarded).to_contain_text("Wi-Fi/VPN/SSO を使えなくなります")
    page.get_by_label("確認のためキャンペーン名を入力").fill(campaign.name)
    page.get_by_label("理由（監査ログに残ります）").fill("最終サマリーの人数を確認済み")
    shot(page, 12, "first-confirmation")
    page.get_by_role("button", name="1人目として確認").click()
    expect(page.locator(".messages")).to_contain_text("2人目の確認が必要です")
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.AWAITING_CONFIRMATION


def step_same_admin_is_told_a_second_is_needed(page: Any) -> None:
    from playwright.sync_api import expect

    main = page.locator("#main")
    expect(main).to_contain_text(f"2人目の確認待ち：1人目は staff:{FIRST} が")
    expect(main).to_contain_text("2人目の確認は別の CA 管理者が行ってください")
    shot(page, 13, "awaiting-second-admin")
    page.get_by_role("link", name="自分の確認（取り消し）").click()
    expect(page.get_by_role("button", name="1人目として確認")).to_have_count(0)
    expect(page.get_by_role("button", name="自分の確認を取り消す")).to_be_visible()
    shot(page, 14, "same-admin-can-only-withdraw")


def step_second_admin_confirms(page: Any, campaign: Campaign) -> None:
    from playwright.sync_api import expect

    page.goto(page.url.split("/console/")[0] + f"/console/campaigns/{campaign.pk}/")
    expect(page.locator("#main")).to_contain_text(f"1人目は staff:{FIRST} が")
    page.get_by_role("link", name="2人目として失効を確認").click()
    page.get_by_label("確認のためキャンペーン名を入力").fill(campaign.name)
    page.get_by_label("理由（監査ログに残ります）").fill("二者確認：同意")
    shot(page, 15, "second-confirmation")
    page.get_by_role("button", name="2人目として確認").click()
    expect(page.locator(".messages")).to_contain_text("2人の CA 管理者が失効を確認しました")
    expect(page.locator("#main")).to_contain_text(f"staff:{FIRST} と staff:{SECOND} が確認しました")
    shot(page, 16, "confirmed-by-two")


def test_ca_admin_runs_a_campaign_from_the_console(story, live_server):
    campaign = story["campaign"]
    with chromium() as browser:
        first = open_console(browser, live_server.url, story, FIRST)
        step_open_from_the_navigation(first, campaign)
        step_dry_run_and_preflight(first)
        step_preview(first, campaign)
        step_test_send(first, campaign)
        step_start(first, campaign)
        step_remind_now(first, story)
        step_progress(first, story)
        step_person_page(first, story)
        step_final_summary(first)
        step_first_confirmation(first, campaign)
        step_same_admin_is_told_a_second_is_needed(first)

        second = open_console(browser, live_server.url, story, SECOND)
        step_second_admin_confirms(second, campaign)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CONFIRMED
    assert (campaign.first_confirmed_by, campaign.confirmed_by) == (
        f"staff:{FIRST}",
        f"staff:{SECOND}",
    )
    confirmed = AuditEvent.objects.get(action="campaign.confirmed")
    assert confirmed.data["first"]["reason"] == "最終サマリーの人数を確認済み"
    assert confirmed.data["reason"] == "二者確認：同意"
    assert services.get(campaign.name).state == CampaignState.CONFIRMED
