"""Wi-Fi onboarding in headless Chromium: a new user on an iPhone and on an Android phone, in
Japanese, sets up the device from the download page with one tap; and the download page as
each platform sees it (screenshots in test-artifacts/screenshots/onboarding-*.png), checked
with axe-core (`npm ci --prefix tests/browser`; skipped without it, failed under
JITSUIN_REQUIRE_PEERS=1).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.wsgi import get_wsgi_application

from jitsuin.cli.server import build_server
from jitsuin.lifecycle.models import Pickup, PickupState
from tests.browser.helpers import SCREENSHOTS
from tests.browser.helpers import chromium as launch_chromium
from tests.browser.test_accessibility import _violations as axe_violations
from tests.browser.test_accessibility import axe_source
from tests.onboarding.conftest import radius_pki, wifi
from tests.portal.conftest import PASSWORD, give_certificate, make_user_person

__all__ = ["radius_pki", "wifi"]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Device:
    name: str
    user_agent: str
    viewport: dict[str, int]
    profile_format: str  # the one the page recommends
    filename_ends: str


DEVICES = [
    Device(
        "ios",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        PHONE,
        "mobileconfig",
        ".mobileconfig",
    ),
    Device(
        "android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.0.0 Mobile Safari/537.36",
        PHONE,
        "eap-config",
        ".eap-config",
    ),
    Device(
        "windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.0.0 Safari/537.36",
        DESKTOP,
        "eap-config",
        ".eap-config",
    ),
    Device(
        "macos",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.5 Safari/605.1.15",
        DESKTOP,
        "mobileconfig",
        ".mobileconfig",
    ),
    Device(
        "chromeos",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.0.0 Safari/537.36",
        DESKTOP,
        "onc",
        ".onc",
    ),
    Device(
        "linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        DESKTOP,
        "networkmanager",
        ".zip",
    ),
]
BY_NAME = {device.name: device for device in DEVICES}


@pytest.fixture
def portal_url(transactional_db, ca_hierarchy, wifi, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = build_server("127.0.0.1", 0, get_wsgi_application())
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, name="onboarding-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chromium():  # type: ignore[no-untyped-def]
    with launch_chromium() as browser:
        yield browser


def _sign_in(page, portal_url: str, uid: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal_url}/")
    page.fill("#id_username", uid)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].button")
    page.wait_for_selector("main", timeout=WAIT_MS)


def _looks_like(device: Device, data: bytes) -> bool:
    """The file is what the platform opens: signed CMS, eap-config XML, encrypted ONC, zip."""
    if device.profile_format == "mobileconfig":
        return data[:1] == b"\x30" and b"com.apple.wifi.managed" in data
    if device.profile_format == "eap-config":
        return b"<EAPIdentityProviderList" in data
    if device.profile_format == "onc":
        return b'"EncryptedConfiguration"' in data
    return data[:4] == b"PK\x03\x04"


@pytest.mark.parametrize("name", ["ios", "android"])
def test_a_new_user_sets_up_the_phone_with_one_tap(portal_url, chromium, name):  # type: ignore[no-untyped-def]
    device = BY_NAME[name]
    uid = f"onboard-{name}"
    person = make_user_person(uid)
    pickup = give_certificate(person, collect=False).pickup
    context = chromium.new_context(
        locale="ja-JP",
        viewport=device.viewport,
        user_agent=device.user_agent,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    page = context.new_page()
    _sign_in(page, portal_url, uid)
    page.click('article[data-status="ready"] a.button')
    setup = page.locator("#setup-device")
    setup.wait_for(timeout=WAIT_MS)
    assert "このデバイスを設定" in setup.inner_text()
    assert page.locator("#pin").inner_text().strip()  # the PIN the profile asks for
    button = page.locator('[data-testid="setup-profile"]')
    assert button.bounding_box()["width"] <= device.viewport["width"]
    page.screenshot(path=str(SCREENSHOTS / f"onboarding-ja-{name}-story.png"), full_page=True)
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.endswith(device.filename_ends)
    assert _looks_like(device, Path(download.value.path()).read_bytes())
    pickup.refresh_from_db()
    assert pickup.state == PickupState.COLLECTED and pickup.download_count == 1
    context.close()


def test_each_platform_sees_its_own_profile_first(portal_url, chromium):  # type: ignore[no-untyped-def]
    """And axe (wcag2a, wcag2aa) finds nothing on any of those pages, in Japanese or English."""
    source = axe_source()
    person = make_user_person("onboard-all")
    pickup: Pickup = give_certificate(person, collect=False).pickup
    for device in DEVICES:
        for language, locale in (("ja", "ja-JP"), ("en", "en-US")):
            # The pages forbid inline scripts: axe is injected past the policy.
            context = chromium.new_context(
                locale=locale,
                viewport=device.viewport,
                user_agent=device.user_agent,
                bypass_csp=True,
            )
            page = context.new_page()
            _sign_in(page, portal_url, person.uid)
            page.goto(f"{portal_url}/downloads/{pickup.pk}/")
            value = page.locator('#setup-device input[name="format"]').get_attribute("value")
            assert value == device.profile_format, device.name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= device.viewport["width"], (device.name, width)
            page.screenshot(
                path=str(SCREENSHOTS / f"onboarding-{language}-{device.name}.png"), full_page=True
            )
            assert axe_violations(page, source) == [], (device.name, language)
            context.close()
    pickup.refresh_from_db()
    assert pickup.download_count == 0  # looking at the page downloads nothing
