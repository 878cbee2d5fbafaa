"""Review note 12f: a staff member signed in with the password alone, before the second factor,
reached the portal pages of their own certificates. Staff act after their second factor
everywhere; the portal sends them to the code page first."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from jitsuin.console.roles import ensure_roles
from tests.portal.conftest import make_user_person
from tests.staff_fixtures import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_certificates(ca_hierarchy):  # type: ignore[no-untyped-def]
    ensure_roles()
    person = make_user_person("hd-sato")
    person.user.groups.add(Group.objects.get(name="helpdesk"))
    return person


@pytest.mark.parametrize("path", ["/", "/status/", "/issue/"])
def test_a_staff_password_alone_does_not_open_the_portal(staff_with_certificates, path):  # type: ignore[no-untyped-def]
    client = sign_in(staff_with_certificates.user, verified=False)
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("access:totp"))


def test_after_the_second_factor_the_portal_opens(staff_with_certificates):  # type: ignore[no-untyped-def]
    client = sign_in(staff_with_certificates.user)
    assert client.get("/").status_code == 200


def test_users_without_a_staff_role_need_no_second_factor(ca_hierarchy):  # type: ignore[no-untyped-def]
    person = make_user_person("s2410009")
    client = sign_in(person.user, verified=False)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_django_staff_flags_need_the_second_factor_too(ca_hierarchy, flag):  # type: ignore[no-untyped-def]
    """The portal reads the roles with the person (one query): Django's own flags count too."""
    person = make_user_person("admin-ito")
    setattr(person.user, flag, True)
    person.user.save()
    answer = sign_in(person.user, verified=False).get(f"/certificates/{1}/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("access:totp"))


def test_a_staff_member_without_a_person_yet_is_sent_to_the_second_factor(ca_hierarchy):  # type: ignore[no-untyped-def]
    ensure_roles()
    person = make_user_person("hd-kato")
    person.user.groups.add(Group.objects.get(name="helpdesk"))
    user = person.user
    person.delete()
    answer = sign_in(user, verified=False).get("/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("access:totp"))
