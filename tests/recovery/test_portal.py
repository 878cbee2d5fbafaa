"""The portal: my archived keys and a recovery, only with a second factor, only one's own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.models import CertificateStatus, KeyRecovery, RecoveryState
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.portal.conftest import give_certificate, make_user_person
from tests.staff_fixtures import sign_in

pytestmark = pytest.mark.django_db


def verified(person, *, csrf: bool = False) -> Client:  # type: ignore[no-untyped-def]
    return sign_in(person.user, client=Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en"))


def test_the_keys_page_needs_a_second_factor(alice, alice_cert):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alice.user)
    for url in (
        reverse("portal:archived_keys"),
        reverse("portal:recover_key", args=[alice_cert.key_archive.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("access:totp") in response["Location"]
    response = client.post(
        reverse("portal:recover_key", args=[alice_cert.key_archive.pk]), {"reason": "x"}
    )
    assert response.status_code == 302 and reverse("access:totp") in response["Location"]
    assert not KeyRecovery.objects.exists()


def test_the_owner_sees_revoked_keys_and_only_their_own(alice, alice_cert, bob):
    bob_cert = give_certificate(bob)
    alice_cert.status = CertificateStatus.REVOKED
    alice_cert.save()
    page = verified(alice).get(reverse("portal:archived_keys")).content.decode()
    assert alice_cert.serial_number.hex in page and "Revoked" in page
    assert bob_cert.serial_number.hex not in page
    home = verified(alice).get(reverse("portal:home")).content.decode()
    assert reverse("portal:archived_keys") in home


def test_someone_elses_archive_is_not_found(alice, alice_cert, bob):
    client = verified(bob)
    url = reverse("portal:recover_key", args=[alice_cert.key_archive.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "mine"}).status_code == 404
    assert not KeyRecovery.objects.exists()


def test_the_recovery_form_needs_csrf(alice, alice_cert):
    url = reverse("portal:recover_key", args=[alice_cert.key_archive.pk])
    response = verified(alice, csrf=True).post(url, {"reason": "lost laptop"})
    assert response.status_code == 403
    assert not KeyRecovery.objects.exists()


def test_request_process_and_download_through_the_portal(alice, alice_cert, bob, recovery_private):
    client = verified(alice)
    url = reverse("portal:recover_key", args=[alice_cert.key_archive.pk])
    assert "Request recovery" in client.get(url).content.decode()
    response = client.post(url, {"reason": "lost laptop"})
    assert response.status_code == 302
    asked = KeyRecovery.objects.get()
    assert asked.state == RecoveryState.APPROVED and asked.requested_by == "user:alice"
    pickup = recovery.process_one(asked, recovery_private, actor="cli:keeper")
    page = client.get(reverse("portal:archived_keys")).content.decode()
    assert reverse("portal:download", args=[pickup.pk]) in page
    download = client.get(reverse("portal:download", args=[pickup.pk]))
    pin = download.context["pin"]
    data = client.post(reverse("portal:download_file", args=[pickup.pk])).content
    assert load_pkcs12(data, pin).certificate.serial_number == alice_cert.serial_int
    assert verified(bob).get(reverse("portal:download", args=[pickup.pk])).status_code == 404


def test_a_reason_is_required(alice, alice_cert):
    client = verified(alice)
    url = reverse("portal:recover_key", args=[alice_cert.key_archive.pk])
    client.post(url, {"reason": "  "})
    assert not KeyRecovery.objects.exists()


def test_the_issue_page_says_whether_the_key_is_archived(alice):
    page = verified(alice).get(reverse("portal:issue")).content.decode()
    assert "Its key is archived" in page


def test_the_issue_page_warns_when_archiving_is_not_set_up(no_recovery_key, alice):
    page = verified(alice).get(reverse("portal:issue")).content.decode()
    assert "key archiving is not set up" in page


def test_client_auth_only_says_nothing_of_archiving(ca_hierarchy):
    carol = make_user_person("carol")
    page = verified(carol).get(reverse("portal:issue")).content.decode()
    assert 'data-testid="key-archiving"' not in page


def test_the_revoke_page_says_the_key_stays_recoverable(alice, alice_cert):
    page = verified(alice).get(reverse("portal:revoke", args=[alice_cert.pk])).content.decode()
    assert "My archived keys" in page and "keep the file" not in page


def test_the_download_page_of_a_recovered_key_offers_no_wifi_setup(
    alice, alice_cert, recovery_private
):
    client = verified(alice)
    client.post(reverse("portal:recover_key", args=[alice_cert.key_archive.pk]), {"reason": "lost"})
    pickup = recovery.process_one(KeyRecovery.objects.get(), recovery_private, actor="k")
    page = client.get(reverse("portal:download", args=[pickup.pk])).content.decode()
    assert 'data-testid="recovered-next-steps"' in page
    assert "delete the old network profile" not in page


def test_a_certificate_without_smime_has_nothing_to_recover(ca_hierarchy):
    carol = make_user_person("carol")
    certificate = give_certificate(carol)
    page = verified(carol).get(reverse("portal:archived_keys")).content.decode()
    assert "You have no archived keys" in page
    assert certificate.serial_number.hex not in page
