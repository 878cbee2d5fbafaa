"""The seed's story in headless Chromium, in Japanese (phone size) and English (desktop size).

Sign in; see a Valid certificate; revoke it (Revoke processing, then Revoked, without a
reload); issue (a double click gives one request); download the .p12 (a double click gives
one certificate, the file opens with the PIN shown). jitsuin runs on a free port in a thread
with its own WSGI server; the worker's steps run in the test, so each state can be seen.
Screenshots of every step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.wsgi import get_wsgi_application

from jitsuin.cli.server import build_server
from jitsuin.lifecycle.models import Certificate, Request
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.browser.helpers import SCREENSHOTS
from tests.browser.helpers import chromium as launch_chromium
from tests.portal.conftest import PASSWORD, give_certificate, make_user_person, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000


@dataclass(frozen=True)
class Story:
    language: str
    locale: str
    viewport: dict[str, int]
    valid: str
    revoking: str
    revoked: str
    issuing: str
    ready: str


STORIES = [
    Story(
        "ja",
        "ja-JP",
        {"width": 390, "height": 844},
        "有効",
        "失効申請中",
        "失効",
        "発行申請中",
        "ダウンロード可能",
    ),
    Story(
        "en",
        "en-US",
        {"width": 1280, "height": 900},
        "Valid",
        "Revoke processing",
        "Revoked",
        "Issue processing",
        "Ready to download",
    ),
]


@pytest.fixture
def portal_url(transactional_db, ca_hierarchy, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = build_server("127.0.0.1", 0, get_wsgi_application())
    # Join the request threads on close, so none holds a database connection at teardown.
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, name="portal-test-server", daemon=True)
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


def _shot(page, story: Story, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SCREENSHOTS / f"story-{story.language}-{name}.png"), full_page=True)


@pytest.mark.parametrize("story", STORIES, ids=[s.language for s in STORIES])
def test_the_seed_story(portal_url, chromium, story):  # type: ignore[no-untyped-def]
    uid = f"story-{story.language}"
    person = make_user_person(uid)
    old = give_certificate(person)
    context = chromium.new_context(
        locale=story.locale, viewport=story.viewport, accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Sign in.
    page.goto(f"{portal_url}/")
    assert "/account/login/" in page.url
    page.fill("#id_username", uid)
    page.fill("#id_password", PASSWORD)
    _shot(page, story, "01-sign-in")
    page.click("button[type=submit].button")

    # A Valid certificate, serial in hex and decimal.
    card = page.locator(f"#certificate-{old.pk}")
    page.wait_for_selector(f'#certificate-{old.pk}[data-status="valid"]', timeout=WAIT_MS)
    assert card.locator('[data-testid="status"]').inner_text() == story.valid
    assert str(int(old.serial, 16)) in card.inner_text()
    _shot(page, story, "02-valid")

    # Revoke: the confirmation says the consequence, then Revoke processing, then Revoked.
    card.locator("a.button.danger").click()
    assert "Wi-Fi" in page.inner_text("main")
    _shot(page, story, "03-revoke-confirm")
    page.click("#confirm-revoke")
    status = page.locator("#certificate-status")
    page.wait_for_selector('#certificate-status[data-status="revoking"]', timeout=WAIT_MS)
    assert story.revoking in status.inner_text()
    _shot(page, story, "04-revoke-processing")
    url_before = page.url
    run_worker()  # the worker does the revocation; the page must notice by itself
    page.wait_for_selector('#certificate-status[data-status="revoked"]', timeout=WAIT_MS)
    assert page.url == url_before
    assert story.revoked in status.inner_text()
    assert "OCSP" in page.inner_text("#revocation-effect")
    _shot(page, story, "05-revoked")

    # Issue: a double click on the confirmation gives one request.
    page.goto(f"{portal_url}/")
    page.click("a#issue-button")
    _shot(page, story, "06-issue-confirm")
    page.dblclick("#confirm-issue")
    page.wait_for_selector('[data-status="issuing"]', timeout=WAIT_MS)
    assert story.issuing in page.inner_text("#status")
    assert Request.objects.filter(person=person, kind="issue").count() == 2  # the fixture's + one
    _shot(page, story, "07-issue-processing")
    run_worker()
    page.wait_for_selector('article[data-status="ready"]', timeout=WAIT_MS)
    assert story.ready in page.inner_text("#status")
    _shot(page, story, "08-ready")

    # Download: the PIN is shown; a double click still gives one certificate and the same file.
    page.click('article[data-status="ready"] a.button')
    pin = page.inner_text("#pin").strip()
    assert len(pin) >= 8
    _shot(page, story, "09-download")
    with page.expect_download() as first_download:
        page.dblclick("#download-button")
    first = Path(first_download.value.path()).read_bytes()
    page.wait_for_timeout(5500)  # the form accepts another send after 5 s
    with page.expect_download() as second_download:
        page.click("#download-button")
    second = Path(second_download.value.path()).read_bytes()
    assert first == second
    contents = load_pkcs12(first, pin)
    new = Certificate.objects.get(person=person, status="valid")
    assert contents.certificate.serial_number == int(new.serial, 16)
    assert Certificate.objects.filter(person=person).count() == 2  # the revoked one and the new
    assert len(contents.chain) >= 1  # relying parties that trust only the root need it

    page.goto(f"{portal_url}/")
    page.wait_for_selector(f'#certificate-{new.pk}[data-status="valid"]', timeout=WAIT_MS)
    _shot(page, story, "10-new-valid")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_a_phone_sized_screen_shows_the_help_and_check_pages(portal_url, chromium):  # type: ignore[no-untyped-def]
    story = STORIES[0]
    context = chromium.new_context(locale="ja-JP", viewport=story.viewport)
    page = context.new_page()
    for name, path in [
        ("help", "/help/"),
        ("faq", "/help/faq/"),
        ("check", "/check/"),
        ("guide-android", "/help/import/android/"),
    ]:
        page.goto(f"{portal_url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= story.viewport["width"], (path, width)  # no sideways scrolling
        _shot(page, story, f"phone-{name}")
    context.close()
