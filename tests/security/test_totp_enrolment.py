"""Review note 12f: staff set up TOTP only with a one-time enrolment code a CA admin issued.

Before, whoever first held a staff password (with no device yet) saw the seed and enrolled
their own phone: trust on first use.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from jitsuin.access.models import EnrolmentCode, SealedTOTPDevice
from jitsuin.access.roles import HELPDESK
from jitsuin.access.services import issue_enrolment_code
from jitsuin.audit.models import AuditEvent
from tests.staff_fixtures import PASSWORD, otp_code

pytestmark = pytest.mark.django_db

TOTP = "/account/totp/?next=/console/"
BASE32_SEED = re.compile(r"\b[A-Z2-7]{32}\b")


@pytest.fixture
def helpdesk(db):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username="hd", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=HELPDESK)[0])
    return user


def _signed_in_with_password(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/account/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/account/totp/")
    return client


def _confirm(client: Client, user) -> object:  # type: ignore[no-untyped-def]
    device = SealedTOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(TOTP, {"token": otp_code(device)})


def test_a_staff_password_alone_shows_no_seed_and_enrols_nothing(helpdesk):
    client = _signed_in_with_password(helpdesk)
    page = client.get(TOTP)
    assert not BASE32_SEED.search(page.content.decode())
    assert not page.context.get("secret")
    # Even with every device's current code, nothing gets confirmed without a code from a CA admin.
    for device in SealedTOTPDevice.objects.filter(user=helpdesk):
        client.post(TOTP, {"token": otp_code(device)})
    assert not SealedTOTPDevice.objects.filter(user=helpdesk, confirmed=True).exists()
    assert not client.session.get("otp_device_id")


def test_a_valid_enrolment_code_lets_the_staff_member_set_up_totp(helpdesk):
    code, _ = issue_enrolment_code(helpdesk, actor="user:ca1")
    client = _signed_in_with_password(helpdesk)
    redeemed = client.post(TOTP, {"code": code.lower().replace("-", " ")})  # as typed
    page = client.get(redeemed["Location"])
    assert page.context["enrolling"] and BASE32_SEED.search(page.content.decode())
    done = _confirm(client, helpdesk)
    assert done.status_code == 302 and done["Location"] == "/console/"
    assert SealedTOTPDevice.objects.filter(user=helpdesk, confirmed=True).count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"access.enrolment_code_issued", "access.enrolment_code_used"} <= actions
    assert "access.totp_enrolled" in actions


def test_an_enrolment_code_works_once(helpdesk):
    code, _ = issue_enrolment_code(helpdesk, actor="user:ca1")
    first = _signed_in_with_password(helpdesk)
    first.post(TOTP, {"code": code})
    second = _signed_in_with_password(helpdesk)  # e.g. whoever else has the password
    again = second.post(TOTP, {"code": code})
    assert again.status_code == 200 and again.context["form"].errors
    assert not second.get(TOTP).context.get("secret")
    # The seed made for the first session is not the second session's to confirm.
    assert _confirm(second, helpdesk).status_code == 200
    assert not SealedTOTPDevice.objects.filter(user=helpdesk, confirmed=True).exists()


def test_an_expired_or_wrong_enrolment_code_is_refused(helpdesk):
    code, _ = issue_enrolment_code(
        helpdesk, actor="user:ca1", now=timezone.now() - timedelta(hours=73)
    )
    client = _signed_in_with_password(helpdesk)
    for attempt in (code, "AAAA-BBBB-CCCC-DDDD"):
        refused = client.post(TOTP, {"code": attempt})
        assert refused.status_code == 200 and refused.context["form"].errors
    assert not client.get(TOTP).context.get("secret")
    assert AuditEvent.objects.filter(action="access.enrolment_code_refused").count() == 2


def test_another_accounts_code_does_not_work(helpdesk):
    other = get_user_model().objects.create_user(username="op", is_staff=True)
    code, _ = issue_enrolment_code(other, actor="user:ca1")
    client = _signed_in_with_password(helpdesk)
    assert client.post(TOTP, {"code": code}).context["form"].errors


def test_the_cli_prints_a_code_once_and_keeps_only_its_hash(helpdesk):
    out = StringIO()
    call_command("user", "enrol-code", "hd", stdout=out)
    code = re.search(r"enrolment code for hd: (\S+)", out.getvalue()).group(1)
    stored = EnrolmentCode.objects.get(user=helpdesk)
    assert code.replace("-", "") not in stored.code_hash and len(stored.code_hash) == 64
    assert timedelta(hours=71) < stored.expires_at - stored.issued_at <= timedelta(hours=72)
    client = _signed_in_with_password(helpdesk)
    assert client.post(TOTP, {"code": code}).status_code == 302
    with pytest.raises(CommandError):
        call_command("user", "enrol-code", "nobody")
    get_user_model().objects.create_user(username="student")
    with pytest.raises(CommandError):
        call_command("user", "enrol-code", "student")


def test_users_who_are_not_staff_still_set_up_totp_themselves(db):
    get_user_model().objects.create_user(username="alice", password=PASSWORD)
    client = Client()
    client.post("/account/login/", {"username": "alice", "password": PASSWORD})
    page = client.get("/account/totp/")
    assert page.context["enrolling"] and page.context["secret"]
