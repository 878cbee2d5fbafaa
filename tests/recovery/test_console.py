"""The console: dual control by CA admins, audited; the file for the admin who asked only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.models import KeyRecovery, RecoveryState
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins():  # type: ignore[no-untyped-def]
    return {name: sign_in(staff(name, "ca-admin")) for name in ("ca-a", "ca-b", "ca-c")}


def _ask(client, certificate, reason="legal hold 2026-17"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("console:key_recoveries"),
        {"uid": certificate.person.uid, "serial": certificate.serial_number.hex, "reason": reason},
    )


def _approve(client, item):  # type: ignore[no-untyped-def]
    return client.post(reverse("console:key_recovery_approve", args=[item.pk]))


def test_only_ca_admins_reach_key_recovery(alice_cert):
    url = reverse("console:key_recoveries")
    for role in ("helpdesk", "operator"):
        assert sign_in(staff(f"x-{role}", role)).get(url).status_code == 403
    assert sign_in(staff("ca-x", "ca-admin")).get(url).status_code == 200


def test_dual_control_end_to_end(admins, alice_cert, recovery_private):
    assert _ask(admins["ca-a"], alice_cert).status_code == 302
    item = KeyRecovery.objects.get()
    assert (item.for_owner, item.state) == (False, RecoveryState.AWAITING_APPROVAL)
    _approve(admins["ca-a"], item)  # the one who asked: refused
    item.refresh_from_db()
    assert item.first_approver == ""
    _approve(admins["ca-b"], item)
    _approve(admins["ca-b"], item)  # the same admin twice: refused
    item.refresh_from_db()
    assert (item.first_approver, item.second_approver) == ("staff:ca-b", "")
    assert recovery.process_approved(recovery_private, actor="cli:keeper") == []
    _approve(admins["ca-c"], item)
    item.refresh_from_db()
    assert item.state == RecoveryState.APPROVED
    [done] = recovery.process_approved(recovery_private, actor="cli:keeper")
    url = reverse("console:key_recovery_download", args=[item.pk])
    assert admins["ca-b"].get(url).status_code == 404  # not the one who asked
    page = admins["ca-a"].get(url)
    pin = page.context["pin"]
    data = admins["ca-a"].post(url).content
    assert load_pkcs12(data, pin).certificate.serial_number == alice_cert.serial_int
    actions = list(
        AuditEvent.objects.filter(action__startswith="key_recovery.").values_list("action", "actor")
    )
    assert ("key_recovery.requested", "staff:ca-a") in actions
    assert ("key_recovery.approved", "staff:ca-b") in actions
    assert ("key_recovery.approved", "staff:ca-c") in actions
    assert done.pickup is not None


def test_an_unknown_serial_or_owner_asks_for_nothing(admins, alice_cert, bob):
    response = admins["ca-a"].post(
        reverse("console:key_recoveries"),
        {"uid": "bob", "serial": alice_cert.serial_number.hex, "reason": "hold"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "No archived key" in response.content.decode()
    assert not KeyRecovery.objects.exists()


def test_posts_need_csrf(alice_cert):
    from django.test import Client

    client = sign_in(staff("ca-csrf", "ca-admin"), client=Client(enforce_csrf_checks=True))
    assert _ask(client, alice_cert).status_code == 403
    assert not KeyRecovery.objects.exists()
