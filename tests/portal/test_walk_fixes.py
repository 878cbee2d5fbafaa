"""What the new-user walk of issue 14 found on the portal's pages, each fixed."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from jitsuin import config
from jitsuin.config import ConfigError
from jitsuin.config.parts import PortalConfig
from jitsuin.lifecycle.models import Request
from tests.notify import factories
from tests.portal.conftest import run_worker

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2] / "jitsuin"


def _revoke(client, certificate) -> str:
    response = client.post(
        f"/certificates/{certificate.pk}/revoke/",
        {"idempotency": "b" * 32, "reason": "superseded"},
        follow=True,
    )
    return response.content.decode()


def test_a_revoked_certificate_page_offers_the_next_step(alice_cert, client_for):
    client = client_for(alice_cert.person, language="ja")
    page = _revoke(client, alice_cert)
    # The confirmation says where the progress shows and that an e-mail follows.
    assert "「この証明書の申請」に表示されます" in page and "メール" in page
    assert "data-progress-message" in page  # dropped by site.js once nothing is in progress
    assert "処理が終わると状態が" not in page
    assert 'data-testid="next-step"' not in page  # still revoking
    run_worker()
    page = client.get(f"/certificates/{alice_cert.pk}/").content.decode()
    assert 'data-testid="next-step"' in page and 'href="/issue/"' in page
    assert "次の手順" in page


def test_pending_states_say_how_long_it_takes_and_that_an_e_mail_follows(alice, client_for):
    factories.request(alice, at=timezone.now(), state="queued")
    english = client_for(alice).get("/").content.decode()
    assert "usually takes a few minutes" in english and "e-mail" in english
    japanese = client_for(alice, language="ja").get("/").content.decode()
    assert "通常は数分で終わります" in japanese and "メールでもお知らせします" in japanese


def test_revoke_processing_says_how_long_it_takes(alice_cert, client_for):
    client = client_for(alice_cert.person)
    _revoke(client, alice_cert)
    page = client.get(f"/certificates/{alice_cert.pk}/").content.decode()
    assert "usually takes a few minutes, and you get an e-mail when it is done" in page


def test_the_issue_confirmation_points_to_where_the_progress_shows(alice, client_for):
    client = client_for(alice, language="ja")
    page = client.post("/issue/", {"idempotency": "c" * 32}, follow=True).content.decode()
    assert "進み具合はこのページの「証明書情報」に表示されます" in page


def test_one_japanese_name_for_the_modern_format():
    texts = [p.read_text() for p in ROOT.rglob("*.po")] + [
        p.read_text() for p in ROOT.rglob("*.html")
    ]
    assert not [t for t in texts if "モダン" in t]
    portal_po = (ROOT / "portal/locale/ja/LC_MESSAGES/django.po").read_text()
    assert 'msgstr "新形式（AES-256）"' in portal_po


def test_the_request_history_shows_the_latest_three_and_a_link_to_more(alice, client_for):
    now = timezone.now()
    made = [
        factories.request(alice, at=now - timedelta(minutes=minutes), state="done")
        for minutes in range(5)
    ]
    client = client_for(alice)
    page = client.get("/").content.decode()
    assert page.count('class="card request"') == 3
    # The link leads to the first request it adds (keyboard focus starts there).
    assert f'href="?history=6#history-{made[3].pk}"' in page
    assert 'hx-get="/status/?history=3"' not in page  # nothing in progress: no polling
    more = client.get("/?history=6").content.decode()
    assert more.count('class="card request"') == 5
    assert 'data-testid="history-more"' not in more
    assert client.get("/?history=junk").content.decode().count('class="card request"') == 3


def test_the_polled_panel_keeps_the_history_length(alice, client_for):
    factories.request(alice, at=timezone.now(), state="queued")
    page = client_for(alice).get("/?history=9").content.decode()
    assert 'hx-get="/status/?history=9"' in page


def test_the_site_name_is_a_setting_used_in_title_and_header(alice, client_for, monkeypatch):
    monkeypatch.setenv("JITSUIN_SITE_NAME", "東西大学 証明書サービス")
    config.current.cache_clear()
    try:
        page = client_for(alice).get("/").content.decode()
        for path in ("/", "/issue/", "/check/", "/help/"):
            text = re.sub(r"<[^>]+>", " ", client_for(alice).get(path).content.decode())
            assert "jitsuin" not in text, path  # the product's name is not the site's
    finally:
        monkeypatch.delenv("JITSUIN_SITE_NAME")
        config.current.cache_clear()
    assert re.search(r"<title>[^<]*\| 東西大学 証明書サービス</title>", page)
    assert '<a class="brand" href="/">東西大学 証明書サービス <span' in page
    assert ">jitsuin <" not in page


def test_the_site_name_defaults_to_the_institution_and_is_checked():
    assert PortalConfig.from_env({}).site_name == "jitsuin"
    assert PortalConfig.from_env({"JITSUIN_INSTITUTION_NAME": "東西大学"}).site_name == "東西大学"
    for bad in ("x" * 61, "two\nlines"):
        with pytest.raises(ConfigError, match="JITSUIN_SITE_NAME"):
            PortalConfig.from_env({"JITSUIN_SITE_NAME": bad})


def test_the_windows_guide_has_no_android_note(client, ca_hierarchy):
    windows = client.get("/help/import/windows/").content.decode()
    assert "Android" not in windows
    android = client.get("/help/import/android/").content.decode()
    assert "Android 11以降では、CA証明書とドメインを設定しないと接続できません。" in android


def test_time_values_carry_no_microseconds(alice_cert, client_for):
    page = client_for(alice_cert.person).get(f"/certificates/{alice_cert.pk}/").content.decode()
    values = re.findall(r'<time datetime="([^"]+)"', page)
    assert values
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
    assert all(re.fullmatch(pattern, v) for v in values), values


def test_the_decimal_serial_may_wrap_anywhere(alice_cert, client_for):
    page = client_for(alice_cert.person).get("/").content.decode()
    assert 'class="mono serial" data-testid="serial-decimal"' in page
    css = (ROOT / "static/jitsuin/site.css").read_text()
    assert re.search(r"\.serial \{[^}]*overflow-wrap: anywhere", css)


def test_status_panels_name_their_one_persistent_live_region(alice, client_for):
    factories.request(alice, at=timezone.now(), state="queued")
    client = client_for(alice)
    home = client.get("/").content.decode()
    assert home.count('aria-live="polite"') == 1
    assert 'id="status-live"' in home and 'data-live="#status-live"' in home
    fragment = client.get("/status/").content.decode()
    assert "aria-live" not in fragment and 'data-announce="' in fragment
    assert Request.objects.filter(person=alice).count() == 1


def test_a_check_error_is_an_alert_tied_to_its_field(client, ca_hierarchy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.pem", b"not a certificate")
    page = client.post("/check/", {"certificate": upload}).content.decode()
    field = re.search(r'<input[^>]*name="certificate"[^>]*>', page)
    assert field is not None and 'aria-invalid="true"' in field.group(0)
    assert "id_certificate_error" in field.group(0) and 'id="id_certificate_error"' in page
    assert '<div class="field-errors" role="alert">' in page
    assert not re.search(r"<ul[^>]*role=", page)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_contrasts_at_least_3_to_1_with_what_is_around_it():
    css = (ROOT / "static/jitsuin/site.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", css))
    ring = re.search(r"^:focus-visible \{ outline: 3px solid var\(--([a-z]+)\)", css, re.M)
    assert ring is not None
    assert _contrast(colours[ring.group(1)], colours["bg"]) >= 3  # the page
    assert _contrast(colours[ring.group(1)], colours["panel"]) >= 3  # cards, secondary buttons
    header = re.search(r"\.site-header :focus-visible \{ outline-color: var\(--([a-z]+)\)", css)
    assert header is not None
    assert _contrast(colours[header.group(1)], "#10243e") >= 3  # the dark header
