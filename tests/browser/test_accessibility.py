"""axe-core (wcag2a, wcag2aa) on the portal and the console in Japanese, and the reflow checks
at 320 px and at 200 % text: no page is wider than the screen, and every table that scrolls
does so in a region the keyboard reaches (role=region, tabindex=0, a name).

axe-core comes from npm (tests/browser/package.json; `npm ci --prefix tests/browser`). Without
it the test is skipped on a laptop and fails under JITSUIN_REQUIRE_PEERS=1, like every peer.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from jitsuin.campaigns import services as campaigns
from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle.models import MaintenanceWindow, Request
from jitsuin.notify.models import Notice
from tests.browser.helpers import SCREENSHOTS, chromium
from tests.campaigns import factories as f
from tests.notify import factories
from tests.peers import peers_required
from tests.staff_fixtures import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa"]


def axe_source() -> str:
    if AXE.exists():
        return AXE.read_text()
    message = "axe-core is not installed (npm ci --prefix tests/browser)"
    if peers_required():
        pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
    pytest.skip(message)


@pytest.fixture
def scene(live_server, monkeypatch):
    """A running campaign, a person with a certificate waiting for pickup, a stuck request,
    an e-mail, a notice, a maintenance window, audit events; staff with every role."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ensure_roles()
    pki = f.scene()
    campaign = f.campaign_starting_now(pki, 3, name="g1-to-g2", real=1)
    campaign = campaigns.start(campaign, actor="staff:ca1", require_preflight=False)
    now = timezone.now()
    user = User.objects.create_user("alice", password=PASSWORD)
    alice = factories.person("alice", user=user, name_ja="北陸 アリス", name_en="Alice Hokuriku")
    certificate = factories.issue(alice, at=now)
    bob = factories.person("s9001", name_ja="能美 花子")
    stuck = factories.request(bob, at=now - timedelta(days=12), state="failed")
    Request.objects.filter(pk=stuck.pk).update(
        attempts=8, last_error="ConnectorError: upstream CA did not answer " * 3
    )
    Notice.objects.create(
        title_ja="メンテナンスのお知らせ",
        title_en="Maintenance",
        body_ja="12月10日 9:00〜18:00 は発行が遅れます。",
        body_en="Issuing is delayed on 10 Dec 9:00-18:00.",
        publish_at=now - timedelta(hours=1),
    )
    MaintenanceWindow.objects.create(
        starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=7, hours=9)
    )
    staff = User.objects.create_user("all-roles")
    for name in ("helpdesk", "operator", "ca-admin"):
        staff.groups.add(Group.objects.get(name=name))
    return {
        "campaign": campaign,
        "alice": alice,
        "pickup": certificate.pickup,
        "certificate": certificate,
        "stuck": stuck,
        "staff": sign_in(staff),
        "portal": _signed_in(user),
    }


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _context(browser, base_url: str, client: Client, **options):
    # The pages forbid inline scripts and styles; axe and the 200 % text style are injected.
    context = browser.new_context(locale="ja-JP", bypass_csp=True, **options)
    cookies = [{"name": "jitsuin_lang", "value": "ja", "url": base_url}]
    session = client.cookies.get("sessionid")
    if session is not None:
        cookies.append({"name": "sessionid", "value": session.value, "url": base_url})
    context.add_cookies(cookies)
    return context


def portal_pages(scene) -> list[str]:
    pickup, certificate = scene["pickup"], scene["certificate"]
    return [
        "/",
        f"/certificates/{certificate.pk}/",
        f"/downloads/{pickup.pk}/",
        "/check/",
        "/notices/",
        "/help/",
        "/help/faq/",
        "/help/import/windows/",
    ]


def console_pages(scene) -> list[str]:
    alice, campaign = scene["alice"], scene["campaign"]
    return [
        "/console/",
        "/console/people/?q=%E5%8C%97%E9%99%B8",
        f"/console/people/{alice.pk}/",
        "/console/requests/stuck/",
        f"/console/requests/{scene['stuck'].pk}/",
        "/console/audit/",
        "/console/messages/",
        "/console/maintenance/",
        "/console/notices/",
        "/console/authorities/",
        "/console/campaigns/",
        f"/console/campaigns/{campaign.pk}/",
    ]


def _violations(page, source: str) -> list[str]:
    page.add_script_tag(content=source)
    result = page.evaluate(
        """async (tags) => {
          const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
          return {passes: r.passes.length, violations: r.violations.map(v => v.id + ': ' +
            v.help + ' @ ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))};
        }""",
        RULES,
    )
    assert result["passes"] > 5  # axe did look at the page
    return list(result["violations"])


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-").split("?")[0] or "home"


def test_axe_finds_nothing_on_the_portal_and_the_console_in_japanese(scene, live_server):
    source = axe_source()
    found: dict[str, list[str]] = {}
    with chromium() as browser:
        for client, pages in (
            (scene["portal"], portal_pages(scene)),
            (scene["staff"], console_pages(scene)),
        ):
            context = _context(browser, live_server.url, client)
            page = context.new_page()
            for path in pages:
                response = page.goto(live_server.url + path)
                assert response is not None and response.status == 200, path
                assert page.locator("html").get_attribute("lang") == "ja", path
                violations = _violations(page, source)
                if violations:
                    found[path] = violations
            context.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


NARROW_CHECK = """() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  const tables = [...document.querySelectorAll('main table')].map(t => {
    const region = t.closest('[role=region]');
    const scrolls = region ? region.scrollWidth > region.clientWidth : false;
    const fits = t.getBoundingClientRect().width <= window.innerWidth;
    return {fits, region: !!region, focusable: region ? region.tabIndex === 0 : false,
            named: region ? !!region.getAttribute('aria-label') : false, scrolls};
  });
  return {wide, width: document.documentElement.scrollWidth, tables};
}"""


def _narrow_problems(page, path: str) -> list[str]:
    state = page.evaluate(NARROW_CHECK)
    problems = []
    if state["wide"]:
        problems.append(f"{path}: the page is {state['width']} px wide")
    for index, table in enumerate(state["tables"]):
        if table["scrolls"] and not (table["focusable"] and table["named"]):
            problems.append(f"{path}: table {index} scrolls in a region the keyboard cannot reach")
        if not table["region"] and not table["fits"]:
            problems.append(f"{path}: table {index} is wider than the screen")
    return problems


@pytest.mark.parametrize(
    ("width", "text"), [(320, "100%"), (360, "200%")], ids=["320px", "200pct-text"]
)
def test_no_page_is_wider_than_a_phone(scene, live_server, width, text):
    problems: list[str] = []
    with chromium() as browser:
        for client, pages in (
            (scene["portal"], portal_pages(scene)),
            (scene["staff"], console_pages(scene)),
        ):
            context = _context(
                browser, live_server.url, client, viewport={"width": width, "height": 720}
            )
            page = context.new_page()
            for path in pages:
                page.goto(live_server.url + path)
                page.add_style_tag(content=f"html {{ font-size: {text} !important; }}")
                problems += _narrow_problems(page, path)
                if path.startswith("/console/") and path.count("/") <= 3:
                    shot = SCREENSHOTS / f"a11y-{width}-{_name(path)}.png"
                    page.screenshot(path=str(shot), full_page=True)
            context.close()
    assert not problems, "\n".join(problems)


def test_a_scrolling_table_is_reached_with_the_tab_key(scene, live_server):
    """On the audit page at 320 px, Tab lands on the table's region, and arrow keys scroll it."""
    with chromium() as browser:
        context = _context(
            browser, live_server.url, scene["staff"], viewport={"width": 320, "height": 720}
        )
        page = context.new_page()
        page.goto(live_server.url + "/console/audit/")
        region = page.locator("[role=region]").first
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")
        reached = False
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.getAttribute('role') === 'region'"):
                reached = True
                break
        assert reached, "Tab never reached the table's region"
        before = region.evaluate("r => r.scrollLeft")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
        assert region.evaluate("r => r.scrollLeft") > before
        context.close()
