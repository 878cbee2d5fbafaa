"""Headless Chromium for the browser tests (Debian's, driven by Playwright) and staff sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections

from jitsuin.access.models import SealedTOTPDevice
from tests.peers import require_tool
from tests.staff_fixtures import PASSWORD, otp_code

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@contextmanager
def chromium(*, uses_database: bool = True) -> Iterator[Any]:
    """A Playwright browser; skipped without Chromium (failed with JITSUIN_REQUIRE_PEERS=1).

    A test that touches the ORM while the browser runs sets DJANGO_ALLOW_ASYNC_UNSAFE, and its
    connections are closed on the way out; one that does not passes ``uses_database=False``.
    """
    executable = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield browser
        finally:
            # While Playwright's loop runs, the ORM calls of the test use connections of their
            # own context (asgiref.local): close them here, in that context.
            if uses_database:
                connections.close_all()
            browser.close()


def sign_in(
    page: Any,
    base_url: str,
    username: str,
    *,
    device: SealedTOTPDevice | None = None,
    next_path: str = "",
) -> None:
    """Fill the sign-in form as a person would: password, and the phone's code for staff."""
    query = f"?next={next_path}" if next_path else ""
    page.goto(f"{base_url}/account/login/{query}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if device is not None:
        # The one-time code is folded away ("If you have set up a one-time code").
        if page.locator("details#otp:not([open])").count():
            page.locator("details#otp > summary").click()
        page.fill("input[name=otp_token]", otp_code(device))
    page.locator("form:has(input[name=username]) [type=submit]").click()
