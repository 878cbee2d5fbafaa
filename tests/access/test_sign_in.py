"""Sign-in with password and TOTP; staff must pass a second factor before acting."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from jitsuin.access.models import SealedTOTPDevice as TOTPDevice
from jitsuin.access.roles import HELPDESK, role_required
from jitsuin.access.services import issue_enrolment_code
from jitsuin.audit.models import AuditEvent
from tests.staff_fixtures import PASSWORD
from tests.staff_fixtures import otp_code as code

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username="hd", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=HELPDESK)[0])
    return user


def test_password_sign_in_and_audit(client, user):
    response = client.post("/account/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEvent.objects.filter(action="access.signed_in", actor="user:alice").exists()


def test_a_wrong_password_is_refused(client, user):
    response = client.post("/account/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_account_with_totp_needs_the_code(client, user):
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    without = client.post("/account/login/", {"username": "alice", "password": PASSWORD})
    assert without.status_code == 200 and "_auth_user_id" not in client.session
    wrong = client.post(
        "/account/login/", {"username": "alice", "password": PASSWORD, "otp_token": "000000"}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows down guessing
    device.throttle_reset()  # as if the user waited
    good = client.post(
        "/account/login/", {"username": "alice", "password": PASSWORD, "otp_token": code(device)}
    )
    assert good.status_code == 302
    assert client.session.get("otp_device_id") == device.persistent_id


def test_an_open_redirect_is_not_followed(client, user):
    response = client.post(
        "/account/login/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_staff_without_a_device_must_set_one_up(client, staff):
    response = client.post(
        "/account/login/", {"username": "hd", "password": PASSWORD, "next": "/console/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/account/totp/")
    page = client.get(response["Location"])
    assert "enrolling" not in page.context and "code" in page.context["form"].fields
    code_from_ca_admin, _ = issue_enrolment_code(staff, actor="user:ca1")
    redeemed = client.post("/account/totp/?next=/console/", {"code": code_from_ca_admin})
    page = client.get(redeemed["Location"])
    assert page.context["enrolling"] and page.context["secret"]
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post("/account/totp/?next=/console/", {"token": code(device)})
    assert done.status_code == 302 and done["Location"] == "/console/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="access.totp_enrolled").exists()


def test_staff_without_certificates_land_in_the_console(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    form = {"username": "hd", "password": PASSWORD, "otp_token": code(device), "next": "/"}
    response = client.post("/account/login/", form, follow=True)
    assert response.redirect_chain[-1][0] == "/console/"


def test_an_explicit_next_page_wins_for_staff(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    form = {"username": "hd", "password": PASSWORD, "otp_token": code(device), "next": "/help/"}
    response = client.post("/account/login/", form, follow=True)
    assert response.redirect_chain[-1][0] == "/help/" and response.status_code == 200


def _protected(request):  # type: ignore[no-untyped-def]
    return HttpResponse("ok")


def test_role_required_needs_a_verified_second_factor_and_the_role(staff, user):
    view = role_required(HELPDESK)(_protected)
    factory = RequestFactory()
    request = factory.get("/console/")
    request.user = staff
    staff.is_verified = lambda: False
    assert view(request)["Location"].startswith("/account/totp/")
    staff.is_verified = lambda: True
    assert view(request).status_code == 200
    request.user = user
    user.is_verified = lambda: True
    with pytest.raises(PermissionDenied):
        view(request)


def test_sign_out_needs_post(client, user):
    client.force_login(user)
    assert client.get("/account/logout/").status_code == 405
    assert client.post("/account/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
