"""The whole embedded default: `jitsuin serve` with its demo accounts and in-process worker.

A slow builtin CA (JITSUIN_BUILTIN_DELAY=2s) makes every intermediate state last long enough
to be seen; the page must follow the worker by polling alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jitsuin.pki.pkcs12 import load_pkcs12
from tests.browser.helpers import SCREENSHOTS, chromium
from tests.serving import serving, site_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WAIT_MS = 30_000


@pytest.fixture
def served(tmp_path):  # type: ignore[no-untyped-def]
    env = site_env(
        tmp_path,
        JITSUIN_DEMO="1",  # as `make run` does
        JITSUIN_BUILTIN_DELAY="2s",
        JITSUIN_KEY_POOL="0",
    )
    log = tmp_path / "serve.log"
    with serving(env, log=log) as base:
        yield base, log.read_text()


def test_the_demo_student_walks_the_story_on_jitsuin_serve(served):  # type: ignore[no-untyped-def]
    base, output = served
    password = re.search(r"username: demo-student\s+password: (\S+)", output)
    assert password, output
    assert "[DEMO]" in output

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(SCREENSHOTS / f"serve-ja-{name}.png"), full_page=True)

    with chromium(uses_database=False) as browser:
        page = browser.new_page(locale="ja-JP", viewport={"width": 390, "height": 844})
        page.goto(f"{base}/account/login/")
        page.fill("#id_username", "demo-student")
        page.fill("#id_password", password.group(1))
        page.click("button[type=submit].button")
        valid = page.locator('article[data-status="valid"]')
        valid.wait_for(timeout=WAIT_MS)
        shot(page, "01-valid")

        valid.locator("a.button.danger").click()
        page.click("#confirm-revoke")
        page.wait_for_selector('#certificate-status[data-status="revoking"]', timeout=WAIT_MS)
        shot(page, "02-revoke-processing")
        page.wait_for_selector('#certificate-status[data-status="revoked"]', timeout=WAIT_MS)
        assert "失効" in page.inner_text("#certificate-status [data-testid=status]")
        shot(page, "03-revoked")

        page.goto(f"{base}/")
        page.click("a#issue-button")
        page.dblclick("#confirm-issue")
        page.wait_for_selector('[data-status="issuing"]', timeout=WAIT_MS)
        page.wait_for_selector('article[data-status="ready"]', timeout=WAIT_MS)
        assert page.locator('article[data-status="ready"]').count() == 1
        shot(page, "04-ready")

        page.click('article[data-status="ready"] a.button')
        pin = page.inner_text("#pin").strip()
        with page.expect_download() as download:
            page.click("#download-button")
        data = Path(download.value.path()).read_bytes()
        assert load_pkcs12(data, pin).certificate is not None
        page.goto(f"{base}/")
        page.wait_for_selector('article[data-status="valid"]', timeout=WAIT_MS)
        assert page.locator("article[data-status]").count() == 2  # the revoked one and the new
        shot(page, "05-new-valid")
