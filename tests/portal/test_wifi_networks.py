"""The Wi-Fi networks the pages name come from JITSUIN_WIFI_NETWORKS, not from one university."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from jitsuin import config
from jitsuin.portal.templatetags.portal_extras import configured_wifi_networks, wifi_networks
from tests.portal.conftest import give_certificate

pytestmark = pytest.mark.django_db

PLATFORMS = ("windows", "macos", "ios", "android", "linux")


@pytest.fixture
def networks(monkeypatch):  # type: ignore[no-untyped-def]
    """JITSUIN_WIFI_NETWORKS set in the environment, read through config.current()."""
    monkeypatch.setenv("JITSUIN_WIFI_NETWORKS", " campus-secure , eduroam,Guest Net ,")
    config.current.cache_clear()
    yield ("campus-secure", "eduroam", "Guest Net")
    monkeypatch.delenv("JITSUIN_WIFI_NETWORKS")
    config.current.cache_clear()


@pytest.fixture
def default_networks(monkeypatch):  # type: ignore[no-untyped-def]
    """JITSUIN_WIFI_NETWORKS unset, whatever the environment of the test run says."""
    monkeypatch.delenv("JITSUIN_WIFI_NETWORKS", raising=False)
    config.current.cache_clear()
    yield
    config.current.cache_clear()


def test_the_setting_is_split_on_commas_only(networks):
    assert configured_wifi_networks() == networks
    with translation.override("en"):
        assert wifi_networks() == "campus-secure, eduroam, Guest Net"
        assert wifi_networks("and") == "campus-secure, eduroam and Guest Net"
    with translation.override("ja"):
        assert wifi_networks() == "campus-secure、eduroam、Guest Net"
        assert wifi_networks("and") == "campus-secure、eduroamとGuest Net"


def test_the_default_is_eduroam_alone(default_networks):
    assert configured_wifi_networks() == ("eduroam",)
    with translation.override("en"):
        assert wifi_networks("and") == "eduroam"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_guides_name_the_configured_networks(platform, networks, ca_hierarchy):
    ja = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/help/import/{platform}/").content.decode()
    assert "Wi-Fi（campus-secure、eduroam、Guest Net）" in ja
    assert "campus-secure、eduroamとGuest Net" in ja  # the "forget these networks" step
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/help/import/{platform}/").content.decode()
    assert "Wi-Fi (campus-secure, eduroam, Guest Net)" in en
    assert "campus-secure, eduroam and Guest Net" in en
    assert "JAIST" not in ja + en


def test_the_download_revoke_and_faq_pages_name_the_configured_networks(
    networks, alice, client_for
):
    certificate = give_certificate(alice, collect=False)
    for language, listed in (
        ("ja", "Wi-Fi（campus-secure、eduroam、Guest Net）"),
        ("en", "Wi-Fi (campus-secure, eduroam, Guest Net)"),
    ):
        client = client_for(alice, language=language)
        for url in (
            f"/downloads/{certificate.pickup.pk}/",
            f"/certificates/{certificate.pk}/revoke/",
            "/help/faq/",
        ):
            html = client.get(url).content.decode()
            assert listed in html, (language, url)
            assert "JAIST" not in html


def test_no_page_names_jaist_by_default(default_networks, alice, client_for):
    certificate = give_certificate(alice, collect=False)
    urls = [f"/help/import/{platform}/" for platform in PLATFORMS] + [
        f"/downloads/{certificate.pickup.pk}/",
        f"/certificates/{certificate.pk}/revoke/",
        "/help/faq/",
    ]
    for language, listed in (("ja", "Wi-Fi（eduroam）"), ("en", "Wi-Fi (eduroam)")):
        client = client_for(alice, language=language)
        for url in urls:
            html = client.get(url).content.decode()
            assert "JAIST" not in html, (language, url)
            assert listed in html, (language, url)
