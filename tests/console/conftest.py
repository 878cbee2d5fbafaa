"""Staff accounts with their roles, signed in with or without a verified second factor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.console.roles import ensure_roles


def sign_in(user: User, *, verified: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
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
