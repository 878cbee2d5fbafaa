"""axe-core (wcag2a, wcag2aa) on every portal page and state in Japanese and English, on a phone
and a desktop, and on the console in Japanese; the reflow checks
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

from jitsuin.authorities.models import RelyingParty
from jitsuin.campaigns import services as campaigns
from jitsuin.console.roles import ensure_roles
from jitsuin.lifecycle import services
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
    # A relying party whose agent went quiet: the page shows it behind, with its reasons.
    RelyingParty.objects.create(
        token_name="radius",
        name="radius1.example.ac.jp",
        software="jitsuin 0.1.0",
        first_report_at=now - timedelta(days=3),
        last_report_at=now - timedelta(hours=2),
        last_success_at=now - timedelta(hours=3),
        last_error="kept the last good set: HTTP 503",
    )
    staff = User.objects.create_user("all-roles")
    for name in ("helpdesk", "operator", "ca-admin"):
        staff.groups.add(Group.objects.get(name=name))
    unverified = User.objects.create_user("hd-unverified")
    unverified.groups.add(Group.objects.get(name="helpdesk"))
    return {
        "campaign": campaign,
        "alice": alice,
        "pickup": certificate.pickup,
        "certificate": certificate,
        "stuck": stuck,
        "staff": sign_in(staff),
        "portal": _signed_in(user),
        "unverified_staff": sign_in(unverified, verified=False),
        "notice": Notice.objects.get(),
        **_people_in_every_state(now),
    }


def _person_with_user(uid: str):  # type: ignore[no-untyped-def]
    user = User.objects.create_user(uid, password=PASSWORD)
    return factories.person(uid, user=user, name_ja=f"利用者 {uid}", name_en=f"User {uid}"), user


def _in_use(owner, at):  # type: ignore[no-untyped-def]
    """A certificate downloaded and in use (有効)."""
    certificate = factories.issue(owner, at=at)
    services.collect_pickup(certificate.pickup, actor=f"user:{owner.uid}", now=at)
    return certificate


def _people_in_every_state(now) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One signed-in person per state of the overview: none, issuing, valid with a long
    history, revoking, revoked (alice's certificate is ready to download)."""
    newcomer, newcomer_user = _person_with_user("newcomer")
    pending, pending_user = _person_with_user("pending")
    factories.request(pending, at=now)
    active, active_user = _person_with_user("active")
    for rounds in range(6):  # three rounds of revoke and issue, long ago
        old = _in_use(active, now - timedelta(days=300 - rounds * 40))
        factories.revoke(old, at=now - timedelta(days=290 - rounds * 40))
    valid = _in_use(active, now - timedelta(days=2))
    revoking, revoking_user = _person_with_user("revoking")
    being_revoked = _in_use(revoking, now - timedelta(days=3))
    factories.request(revoking, at=now, kind="revoke", target=being_revoked, reason="superseded")
    revoked, revoked_user = _person_with_user("revoked")
    gone = factories.revoke(_in_use(revoked, now - timedelta(days=5)), at=now - timedelta(days=1))
    return {
        "newcomer": _signed_in(newcomer_user),
        "pending": _signed_in(pending_user),
        "active": _signed_in(active_user),
        "valid": valid,
        "valid_request": Request.objects.filter(certificate=valid).get(),
        "revoking": _signed_in(revoking_user),
        "being_revoked": being_revoked,
        "revoked": _signed_in(revoked_user),
        "gone": gone,
    }


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _context(browser, base_url: str, client: Client | None, *, lang: str = "ja", **options):
    # The pages forbid inline scripts and styles; axe and the 200 % text style are injected.
    locale = {"ja": "ja-JP", "en": "en-GB"}[lang]
    context = browser.new_context(locale=locale, bypass_csp=True, **options)
    _act_as(context, base_url, client, lang=lang)
    return context


def _act_as(context, base_url: str, client: Client | None, *, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The context's cookies: the page language, and ``client``'s session (none: signed out)."""
    context.clear_cookies()
    cookies = [{"name": "jitsuin_lang", "value": lang, "url": base_url}]
    session = client.cookies.get("sessionid") if client is not None else None
    if session is not None:
        cookies.append({"name": "sessionid", "value": session.value, "url": base_url})
    context.add_cookies(cookies)


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


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
GUIDES = ("windows", "macos", "ios", "android", "linux")


def every_portal_state(scene) -> list[tuple[str, list[str]]]:
    """(who, pages): every portal page in every state a person meets, by who sees it."""
    valid, being_revoked, gone = scene["valid"], scene["being_revoked"], scene["gone"]
    return [
        ("newcomer", ["/", "/issue/"]),
        ("pending", ["/"]),
        ("portal", ["/", f"/downloads/{scene['pickup'].pk}/"]),
        (
            "active",
            [
                "/",
                "/?history=9",
                f"/certificates/{valid.pk}/",
                f"/requests/{scene['valid_request'].pk}/",
                f"/certificates/{valid.pk}/revoke/",
                "/issue/",
            ],
        ),
        ("revoking", ["/", f"/certificates/{being_revoked.pk}/"]),
        ("revoked", ["/", f"/certificates/{gone.pk}/"]),
        ("unverified_staff", ["/account/totp/"]),
        (
            "",
            [
                "/check/",
                "/notices/",
                f"/notices/{scene['notice'].pk}/",
                "/help/",
                "/help/faq/",
                *[f"/help/import/{p}/" for p in GUIDES],
                "/account/login/",
            ],
        ),
    ]


def _sign_in_with_an_error(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/account/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-the-password")
    page.locator("form:has(input[name=username]) [type=submit]").click()
    page.wait_for_selector(".form-errors[role=alert]")


def _serial_overflows(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        page.evaluate(
            """() => [...document.querySelectorAll('.serial')]
                 .some(e => e.scrollWidth > e.clientWidth + 1)"""
        )
    )


def test_axe_finds_nothing_on_every_portal_page_and_state(scene, live_server):
    """Japanese and English, phone (390x844, iPhone) and desktop (1280x800): zero violations.
    The sign-in page with an error and the decimal serial on a phone are checked too. The four
    views of a page are checked side by side (one browser, a page per view, axe running in all
    four at once)."""
    source = axe_source()
    found: dict[str, list[str]] = {}
    base = live_server.url
    views = [(lang, size) for lang in ("ja", "en") for size in ("phone", "desktop")]
    sizes = {"phone": PHONE, "desktop": DESKTOP}
    with chromium() as browser:
        contexts = {v: _context(browser, base, None, lang=v[0], **sizes[v[1]]) for v in views}
        pages = {v: contexts[v].new_page() for v in views}

        def check_all(label: str) -> None:
            for page in pages.values():
                _start_axe(page, source)
            for (lang, size), page in pages.items():
                violations = _axe_result(page)
                if size == "phone" and _serial_overflows(page):
                    violations.append("the serial number is wider than its box")
                if violations:
                    found[f"{lang} {size} {label}"] = violations

        for who, paths in every_portal_state(scene):
            for (lang, _size), context in contexts.items():
                _act_as(context, base, scene[who] if who else None, lang=lang)
            for path in paths:
                for (lang, _size), page in pages.items():
                    response = page.goto(base + path)
                    assert response is not None and response.status == 200, (who, path)
                    assert page.locator("html").get_attribute("lang") == lang, path
                check_all(f"{who or 'signed out'} {path}")
        for (lang, _size), context in contexts.items():
            _act_as(context, base, None, lang=lang)
            _sign_in_with_an_error(pages[(lang, _size)], base)
        check_all("sign-in with an error")
        for context in contexts.values():
            context.close()
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


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
        "/console/relying-parties/",
        "/console/campaigns/",
        f"/console/campaigns/{campaign.pk}/",
    ]


def _start_axe(page, source: str) -> None:  # type: ignore[no-untyped-def]
    """Inject axe-core and start it; ``_axe_result`` waits for it (pages run side by side)."""
    page.add_script_tag(content=source)
    page.evaluate(
        """(tags) => { window.jitsuinAxe = axe.run(document,
             {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}); }""",
        RULES,
    )


def _axe_result(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = page.evaluate(
        """async () => {
          const r = await window.jitsuinAxe;
          return {passes: r.passes.length, violations: r.violations.map(v => v.id + ': ' +
            v.help + ' @ ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))};
        }"""
    )
    assert result["passes"] > 5  # axe did look at the page
    return list(result["violations"])


def _violations(page, source: str) -> list[str]:  # type: ignore[no-untyped-def]
    _start_axe(page, source)
    return _axe_result(page)


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-").split("?")[0] or "home"


def test_axe_finds_nothing_on_the_console_in_japanese(scene, live_server):
    source = axe_source()
    found: dict[str, list[str]] = {}
    with chromium() as browser:
        for client, pages in ((scene["staff"], console_pages(scene)),):
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
                if _serial_overflows(page):
                    problems.append(f"{path}: a serial number is wider than its box")
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
