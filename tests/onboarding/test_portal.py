"""The download page leads with "Set up this device"; the profile is the owner's only."""

from __future__ import annotations

import pytest
from django.test import Client

from jitsuin.lifecycle.models import PickupState
from tests.onboarding.conftest import SERVER_NAMES
from tests.portal.conftest import give_certificate

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Mobile Safari/537.36"
)
CHROMEBOOK = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0.0.0 Safari/537.36"
)
LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"


def page(client: Client, pickup, user_agent: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/downloads/{pickup.pk}/", HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("user_agent", "recommended"),
    [
        (IPHONE, "mobileconfig"),
        (ANDROID, "eap-config"),
        (CHROMEBOOK, "onc"),
        (LINUX, "networkmanager"),
    ],
)
def test_the_page_leads_with_the_profile_for_the_device(
    wifi, alice, pickup, client_for, user_agent, recommended
):
    html = page(client_for(alice), pickup, user_agent)
    assert html.index('id="setup-device"') < html.index('name="pkcs12_profile"')
    setup = html[
        html.index('id="setup-device"') : html.index("</section>", html.index('id="setup-device"'))
    ]
    assert f'name="format" value="{recommended}"' in setup
    assert "Set up this device" in setup


def test_the_iphone_is_told_what_happens_in_japanese(wifi, alice, pickup, client_for):
    html = page(client_for(alice, language="ja"), pickup, IPHONE)
    assert "このデバイスを設定" in html
    assert "プロファイルがダウンロードされました" in html


def test_without_the_wifi_server_no_profile_is_offered_or_mentioned(alice, pickup, client_for):
    html = page(client_for(alice), pickup, IPHONE)
    assert 'id="setup-device"' not in html and "download_profile" not in html
    assert "profile/" not in html and "mobileconfig" not in html


def test_the_profile_comes_as_an_uncached_attachment(wifi, alice, pickup, client_for):
    response = client_for(alice).post(
        f"/downloads/{pickup.pk}/profile/", {"format": "wpa-supplicant"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    assert b"alice@example.ac.jp" in response.content
    pickup.refresh_from_db()
    assert pickup.state == PickupState.COLLECTED


def test_the_profile_needs_the_csrf_token(wifi, alice, pickup, client_for):
    client = client_for(alice, csrf=True)
    response = client.post(f"/downloads/{pickup.pk}/profile/", {"format": "networkmanager"})
    assert response.status_code == 403
    pickup.refresh_from_db()
    assert pickup.download_count == 0


def test_another_persons_pickup_is_not_found(wifi, bob, pickup, client_for):
    response = client_for(bob).post(
        f"/downloads/{pickup.pk}/profile/", {"format": "networkmanager"}
    )
    assert response.status_code == 404
    pickup.refresh_from_db()
    assert pickup.download_count == 0


def test_a_refusal_is_a_message_on_the_download_page(wifi, alice, pickup, client_for):
    client = client_for(alice)
    response = client.post(f"/downloads/{pickup.pk}/profile/", {"format": "exe"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/downloads/{pickup.pk}/"
    assert "Unknown Wi-Fi profile format: exe" in response.content.decode()


def test_the_wifi_server_ca_is_served_for_manual_setup(wifi):
    response = Client().get("/help/wifi-server-ca.pem")
    assert response.status_code == 200
    assert response.content == wifi.read_bytes()
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]


def test_the_guides_give_the_real_settings(wifi, alice, client_for):
    html = client_for(alice).get("/help/import/android/").content.decode()
    assert 'data-testid="wifi-identity">alice@example.ac.jp<' in html
    assert 'data-testid="anonymous-identity">anonymous@example.ac.jp<' in html
    assert ", ".join(SERVER_NAMES) in html
    assert "/help/wifi-server-ca.pem" in html
    assert "helpdesk" not in html.split('id="wifi"')[1].split("</section>")[0].lower()


def test_the_guides_never_send_users_to_the_helpdesk_for_the_server_name(ca_hierarchy):
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/import/ios/").content.decode()
    assert "Ask the helpdesk for the Wi-Fi server name" not in html
    assert 'data-testid="wifi-settings-pending"' in html


def test_after_a_switch_the_page_says_which_old_profile_to_remove(wifi, alice, client_for):
    old = give_certificate(alice)
    new = give_certificate(alice, collect=False)
    html = page(client_for(alice), new.pickup, ANDROID)
    part = html[html.index('id="remove-old-profile"') :]
    assert old.serial_number.hex in part and "Saved networks" in part


def test_a_first_certificate_has_nothing_to_remove(wifi, alice, pickup, client_for):
    assert 'id="remove-old-profile"' not in page(client_for(alice), pickup, ANDROID)


def test_the_demo_offers_profiles_and_says_its_wifi_settings_are_stand_ins(
    demo, alice, pickup, client_for
):
    html = page(client_for(alice), pickup, IPHONE)
    assert 'name="format" value="mobileconfig"' in html
    guide = client_for(alice).get("/help/import/ios/").content.decode()
    assert "radius.demo.invalid" in guide and "Demo: these Wi-Fi settings are stand-ins" in guide


def test_an_unrecognised_device_chooses_among_every_format(wifi, alice, pickup, client_for):
    html = page(client_for(alice), pickup, "curl/8.5.0")
    setup = html[html.index('id="setup-device"') :].split("</section>")[0]
    assert 'data-testid="setup-profile"' not in setup
    for name in ("mobileconfig", "eap-config", "wlan-xml", "onc", "networkmanager"):
        assert f'value="{name}"' in setup
