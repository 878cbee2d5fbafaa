"""Second look as a user: the shared layout is translated, guides give the Wi-Fi settings."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jitsuin import config
from jitsuin.lifecycle.services import request_revoke
from jitsuin.portal.templatetags.portal_extras import serial_pairs
from tests.portal.conftest import PASSWORD, give_certificate, run_worker
from tests.staff_fixtures import sign_in

pytestmark = pytest.mark.django_db

PLATFORMS = ("windows", "macos", "ios", "android", "linux")


@pytest.fixture
def radius_name(monkeypatch):  # type: ignore[no-untyped-def]
    """JITSUIN_RADIUS_SERVER_NAME set in the environment, read through config.current()."""
    monkeypatch.setenv("JITSUIN_RADIUS_SERVER_NAME", "radius.example.ac.jp")
    config.current.cache_clear()
    yield "radius.example.ac.jp"
    monkeypatch.delenv("JITSUIN_RADIUS_SERVER_NAME")
    config.current.cache_clear()


def test_the_shared_layout_speaks_japanese(alice, client_for):
    html = client_for(alice, language="ja").get("/").content.decode()
    for text in ("本文へ移動", "クライアント証明書", "ログアウト", "ヘルプデスク"):
        assert text in html
    for english in ("Skip to content", "Client certificates", "Sign out", "Contact the helpdesk"):
        assert english not in html


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_guide_links_the_ca_certificates(platform, ca_hierarchy):
    public = config.current().public_url
    html = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/help/import/{platform}/").content.decode()
    assert f'href="{public}/ca/roots.pem"' in html
    assert f'href="{public}/ca/bundle.pem"' in html
    assert "学内CA" not in html and "学内RADIUS" not in html
    # Without a configured server name the page says it is not published yet: it never sends
    # users to the helpdesk for it, nor gives a vague name.
    assert "ヘルプデスクにお問い合わせ" not in html.split('id="wifi"')[1].split("</section>")[0]
    assert "Wi-Fi サーバ名はまだ掲載されていません" in html


def test_the_guides_show_the_radius_server_name_when_set(radius_name, ca_hierarchy):
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/import/android/").content.decode()
    assert 'data-testid="radius-server-name">radius.example.ac.jp<' in html
    assert "Ask the helpdesk for the Wi-Fi server name" not in html
    # And the CA links still work for anyone: they are public.
    assert Client().get("/ca/roots.pem").status_code == 200


def test_the_guide_names_the_signed_in_user_as_identity(alice, client_for):
    html = client_for(alice).get("/help/import/windows/").content.decode()
    assert 'data-testid="wifi-identity">alice<' in html


def test_revoked_certificates_are_folded_away_on_the_overview(alice, client_for):
    old = give_certificate(alice)
    request_revoke(old, actor="user:alice", idempotency_key="fold-1", reason="superseded")
    run_worker()
    current = give_certificate(alice)
    html = client_for(alice).get("/").content.decode()
    folded = html[html.index('<details class="past"') : html.index("</details>")]
    assert f'id="certificate-{old.pk}"' in folded
    assert f'id="certificate-{current.pk}"' not in folded
    assert "Revoked or expired certificate (1)" in folded


def test_the_overview_greets_in_the_page_language(alice, client_for):
    alice.name_ja, alice.name_en = "有栖", "Alice Example"
    alice.save()
    assert "Signed in as Alice Example" in client_for(alice).get("/").content.decode()
    assert "有栖" in client_for(alice, language="ja").get("/").content.decode()


def test_the_check_verdict_comes_first_with_the_serial_in_pairs(alice_cert, client_for, alice):
    pem = x509.load_der_x509_certificate(bytes(alice_cert.der)).public_bytes(Encoding.PEM)
    upload = SimpleUploadedFile("mine.pem", pem)
    html = client_for(alice).post("/check/", {"certificate": upload}).content.decode()
    assert html.index('id="verdict"') < html.index('enctype="multipart/form-data"')
    hex_text = f"{alice_cert.serial_int:X}"
    hex_text = ("0" + hex_text) if len(hex_text) % 2 else hex_text
    pairs = " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))
    assert pairs in html


def test_a_staff_account_without_certificates_is_pointed_to_the_console(ca_hierarchy):
    user = get_user_model().objects.create_user("staff1", password=PASSWORD, is_staff=True)
    client = sign_in(user, client=Client(HTTP_ACCEPT_LANGUAGE="ja"))  # past the second factor
    response = client.get("/")
    assert response.status_code == 403
    assert 'href="/console/"' in response.content.decode()


@pytest.mark.parametrize(
    ("raw", "shown"), [("30e4a6", "30 E4 A6"), ("5BCF3", "05 BC F3"), ("ab:cd", "AB CD"), ("", "")]
)
def test_serials_are_shown_in_byte_pairs(raw, shown):
    assert serial_pairs(raw) == shown
