"""The whole embedded default: `jitsuin serve` with its demo accounts and in-process worker.

A slow builtin CA (JITSUIN_BUILTIN_DELAY=2s) makes every intermediate state last long enough
to be seen; the page must follow the worker by polling alone.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jitsuin.pki.pkcs12 import load_pkcs12
from tests.browser.helpers import SCREENSHOTS, chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WAIT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        JITSUIN_DATA_DIR=str(tmp_path),
        JITSUIN_DEMO="1",  # as `make run` does
        JITSUIN_BUILTIN_DELAY="2s",
        JITSUIN_KEY_POOL="0",
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "jitsuin serve did not come up:\n" + (tmp_path / "serve.log").read_text()
                    )
                time.sleep(0.3)
        yield base, (tmp_path / "serve.log").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


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
