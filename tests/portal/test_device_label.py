"""The pickup page names the browser actually in use: Chrome on Linux is not "Firefox"."""

from __future__ import annotations

import pytest

from jitsuin.portal.pages import PLATFORMS
from jitsuin.portal.presenters import browser_from_user_agent, device_label

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "browser"),
    [
        (CHROME_LINUX, "Chrome"),
        (FIREFOX_LINUX, "Firefox"),
        (EDGE_WINDOWS, "Edge"),
        (SAFARI_MAC, "Safari"),
        ("curl/8.0", ""),
    ],
)
def test_the_most_specific_browser_word_wins(user_agent, browser):
    assert browser_from_user_agent(user_agent) == browser


def test_the_device_label_names_system_and_browser():
    assert device_label("linux", CHROME_LINUX, PLATFORMS) == "Linux / Chrome"
    assert device_label("linux", FIREFOX_LINUX, PLATFORMS) == "Linux / Firefox"
    assert device_label("linux", "something", PLATFORMS) == "Linux"
    assert device_label("", CHROME_LINUX, PLATFORMS) == ""


@pytest.mark.django_db
def test_the_pickup_page_tells_chrome_on_linux_by_its_name(alice, client_for):
    from tests.portal.conftest import give_certificate

    certificate = give_certificate(alice, collect=False)
    page = client_for(alice).get(
        f"/downloads/{certificate.pickup.pk}/", HTTP_USER_AGENT=CHROME_LINUX
    )
    text = page.content.decode()
    assert "(Linux / Chrome)" in text and "(Linux / Firefox)" not in text
    assert page.context["platform_name"] == "Linux / Chrome"
