"""The console's navigation links are kept per permission set and language ({% cache %} in
console/base.html): each staff member sees the links of their own permissions, at once after
their role changes, in their language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.urls import reverse

from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db

AUTHORITIES = reverse("console:authorities").encode()
PEOPLE = reverse("console:people").encode()


def _nav(client, language: str = "en") -> bytes:  # type: ignore[no-untyped-def]
    html = client.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE=language).content
    return html.split(b'<ul class="console-nav">', 1)[1].split(b"</ul>", 1)[0]


def test_each_role_sees_its_own_links_however_often_asked():
    cache.clear()
    helpdesk = sign_in(staff("hd1", "helpdesk"))
    ca_admin = sign_in(staff("ca1", "ca-admin"))
    for _ in range(2):
        mine, theirs = _nav(helpdesk), _nav(ca_admin)
        assert PEOPLE in mine and AUTHORITIES not in mine
        assert AUTHORITIES in theirs
        assert b"hd1" in mine and b"ca1" in theirs  # the user's name is never kept


def test_a_role_change_shows_in_the_next_page():
    cache.clear()
    client = sign_in(staff("hd1", "helpdesk"))
    assert AUTHORITIES not in _nav(client)
    User.objects.get(username="hd1").groups.add(Group.objects.get(name="ca-admin"))
    assert AUTHORITIES in _nav(client)


def test_the_links_are_in_the_page_s_language():
    cache.clear()
    client = sign_in(staff("hd1", "helpdesk"))
    assert b"Stuck requests" in _nav(client, "en")
    japanese = _nav(client, "ja")
    assert b"Stuck requests" not in japanese and PEOPLE in japanese
    assert b"Stuck requests" in _nav(client, "en")
