"""Staff accounts for console and campaign tests: roles, a TOTP device, a verified session.

The console and campaign conftests import the fixtures from here; browser tests use
``otp_code`` to type the one-time code as a person would.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp

from jitsuin.access.models import SealedTOTPDevice
from jitsuin.console.roles import ensure_roles

PASSWORD = "correct horse battery staple"


def totp_device(user: User) -> SealedTOTPDevice:
    return SealedTOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def otp_code(device: SealedTOTPDevice) -> str:
    """The code the staff member's phone shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(user: User, *, verified: bool = True, client: Client | None = None) -> Client:
    """``client`` (a new one if none) signed in as ``user``, with a verified second factor."""
    client = client or Client()
    client.force_login(user)
    if verified:
        session = client.session
        session["otp_device_id"] = totp_device(user).persistent_id
        session.save()
    return client


def staff(username: str, role: str | None) -> User:
    ensure_roles()
    user = User.objects.create_user(username)  # no password: signed in by force_login
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def helpdesk(db) -> Client:
    return sign_in(staff("hd1", "helpdesk"))


@pytest.fixture
def operator(db) -> Client:
    return sign_in(staff("op1", "operator"))


@pytest.fixture
def ca_admin(db) -> Client:
    return sign_in(staff("ca1", "ca-admin"))


@pytest.fixture
def helpdesk_without_otp(db) -> Client:
    return sign_in(staff("hd2", "helpdesk"), verified=False)


@pytest.fixture
def plain_user(db) -> Client:
    return sign_in(staff("u1", None))
