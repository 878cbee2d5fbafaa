"""The user's pages: statuses as the seed names them, serials both ways, history, live status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.lifecycle.models import MaintenanceWindow, Request
from jitsuin.notify.models import Notice
from tests.portal.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=False)


def test_signed_out_visitors_are_sent_to_the_login_page(client, ca_hierarchy):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_my_certificates_shows_valid_status_serials_and_issuer(alice_cert, client_for):
    response = client_for(alice_cert.person).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="valid"' in html
    assert ">Valid<" in html
    serial = int(alice_cert.serial, 16)
    hex_text = f"{serial:X}"
    hex_text = ("0" + hex_text) if len(hex_text) % 2 else hex_text
    assert " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2)) in html
    assert str(serial) in html
    assert alice_cert.issuer.name in html
    assert "hx-trigger" not in html  # nothing in progress: no polling


def test_japanese_is_the_default_and_uses_the_seed_labels(alice_cert, client_for):
    response = client_for(alice_cert.person, language="ja").get("/")
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert ">有効<" in html
    assert "失効" in html  # the Revoke button


def test_request_history_lists_every_transition_with_time(alice_cert, client_for):
    html = client_for(alice_cert.person).get("/").content.decode()
    request = Request.objects.get(certificate=alice_cert)
    for step in request.transitions.all():
        assert timezone.localtime(step.at).strftime("%Y-%m-%d %H:%M:%S") in html


def test_revoke_shows_consequences_then_processing_then_revoked(alice_cert, client_for):
    client = client_for(alice_cert.person)
    page = client.get(f"/certificates/{alice_cert.pk}/revoke/").content.decode()
    assert "Wi-Fi" in page and "e-mail encryption" in page
    token = "a" * 32
    for _ in range(2):  # a double click
        response = client.post(
            f"/certificates/{alice_cert.pk}/revoke/", {"idempotency": token, "reason": "superseded"}
        )
        assert response.status_code == 302
    assert Request.objects.filter(kind="revoke", target=alice_cert).count() == 1
    fragment = client.get("/status/").content.decode()
    assert 'data-status="revoking"' in fragment
    assert 'hx-trigger="every 2s"' in fragment
    run_worker()
    fragment = client.get("/status/").content.decode()
    assert 'data-status="revoked"' in fragment
    assert "hx-trigger" not in fragment
    detail = client.get(f"/certificates/{alice_cert.pk}/").content.decode()
    assert "/downloads/" not in detail  # a revoked certificate is not offered for download
    assert "When the revocation takes effect" in detail
    assert "OCSP" in detail and "CRL" in detail


def test_issue_then_download_gives_one_certificate_and_the_same_file(alice, client_for):
    from jitsuin.pki.pkcs12 import load_pkcs12

    client = client_for(alice)
    assert "confirm-issue" in client.get("/issue/").content.decode()
    for _ in range(2):  # a double click
        client.post("/issue/", {"idempotency": "b" * 32})
    assert Request.objects.filter(person=alice, kind="issue").count() == 1
    assert 'data-status="issuing"' in client.get("/status/").content.decode()
    run_worker()
    status = client.get("/status/").content.decode()
    assert 'data-status="ready"' in status
    request = Request.objects.get(person=alice, kind="issue")
    page = client.get(f"/downloads/{request.pickup.pk}/")
    assert page["Cache-Control"].count("no-store") == 1
    pin = page.context["pin"]
    assert pin and pin in page.content.decode()
    first = client.post(f"/downloads/{request.pickup.pk}/file/", {"pkcs12_profile": "compatible"})
    second = client.post(f"/downloads/{request.pickup.pk}/file/", {"pkcs12_profile": "compatible"})
    assert first["Content-Type"] == "application/x-pkcs12"
    assert first.content == second.content
    contents = load_pkcs12(first.content, pin)
    assert contents.certificate.serial_number == int(request.certificate.serial, 16)
    assert alice.certificates.count() == 1


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120 Mobile",
            "compatible",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
            "compatible",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605",
            "compatible",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120", "modern"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "modern"),
        ("curl/8.0", "compatible"),
    ],
)
def test_download_format_is_preselected_from_the_platform(alice, client_for, user_agent, expected):
    from tests.portal.conftest import give_certificate

    certificate = give_certificate(alice, collect=False)
    client = client_for(alice)
    page = client.get(f"/downloads/{certificate.pickup.pk}/", HTTP_USER_AGENT=user_agent)
    assert page.context["recommended"] == expected
    assert f'value="{expected}" checked' in page.content.decode()


def test_a_person_without_a_directory_entry_gets_an_explanation(profile, client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="stranger", password="x" * 20)
    client.force_login(user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "helpdesk" in response.content.decode()


def test_sso_user_is_linked_to_the_directory_entry_with_the_same_uid(profile, client):
    from django.contrib.auth import get_user_model

    from jitsuin.lifecycle.models import Person

    person = Person.objects.create(uid="carol", email="carol@example.ac.jp")
    user = get_user_model().objects.create_user(username="carol")
    client.force_login(user)
    assert client.get("/").status_code == 200
    person.refresh_from_db()
    assert person.user == user


def test_maintenance_banner_shows_the_end_time(alice, client_for):
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2), scope="both"
    )
    html = client_for(alice).get("/").content.decode()
    assert "Maintenance in progress" in html
    assert timezone.localtime(window.ends_at).strftime("%Y-%m-%d %H:%M") in html


def test_notices_list_and_detail_in_both_languages(alice, client_for):
    now = timezone.now()
    notice = Notice.objects.create(
        title_ja="中間認証局の切り替え",
        title_en="Intermediate CA switchover",
        body_ja="本文",
        body_en="Body text",
        publish_at=now - timedelta(days=1),
    )
    hidden = Notice.objects.create(
        title_ja="未来",
        title_en="Future",
        body_ja="x",
        body_en="x",
        publish_at=now + timedelta(days=3),
    )
    client = client_for(alice)
    assert "Intermediate CA switchover" in client.get("/").content.decode()
    assert "Intermediate CA switchover" in client.get("/notices/").content.decode()
    assert (
        "中間認証局の切り替え" in client_for(alice, language="ja").get("/notices/").content.decode()
    )
    assert "Body text" in client.get(f"/notices/{notice.pk}/").content.decode()
    assert client.get(f"/notices/{hidden.pk}/").status_code == 404


@pytest.mark.parametrize("platform", ["windows", "macos", "ios", "android", "linux"])
def test_import_guides_exist_for_every_platform(client, ca_hierarchy, platform):
    response = client.get(f"/help/import/{platform}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert "アクセスPIN" in response.content.decode()


def test_help_and_faq(client, ca_hierarchy):
    assert client.get("/help/").status_code == 200
    faq = client.get("/help/faq/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 business days" in faq
    assert client.get("/help/import/beos/").status_code == 404


def test_after_the_download_window_the_pin_is_neither_shown_nor_revealed(alice, client_for):
    from jitsuin.audit.models import AuditEvent
    from jitsuin.lifecycle.models import Pickup
    from tests.portal.conftest import give_certificate

    certificate = give_certificate(alice, collect=False)
    Pickup.objects.filter(pk=certificate.pickup.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = client_for(alice).get(f"/downloads/{certificate.pickup.pk}/")
    assert page.context["gone"] is True and page.context["pin"] == ""
    assert 'data-testid="pin"' not in page.content.decode()
    assert "/issue/anew/" in page.content.decode()
    assert not AuditEvent.objects.filter(action="pickup.pin_revealed").exists()
