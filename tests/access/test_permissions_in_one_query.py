"""A user's permissions in one query: ModelBackend's answers, one statement, no session change."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jitsuin.access.permissions import PermissionsInOneQuery
from jitsuin.console.roles import OPERATOR, ensure_roles

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache


@pytest.fixture
def operator_with_own_permission() -> User:
    ensure_roles()
    user = User.objects.create_user("op1")
    user.groups.add(Group.objects.get(name=OPERATOR))
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return user


def test_the_same_permissions_as_model_backend(operator_with_own_permission):
    ours, django = PermissionsInOneQuery(), ModelBackend()
    user = operator_with_own_permission
    for question in ("get_user_permissions", "get_group_permissions", "get_all_permissions"):
        expected = getattr(django, question)(_fresh(user))
        assert getattr(ours, question)(_fresh(user)) == expected, question
        assert expected  # the user has both kinds
    fresh = _fresh(user)
    for perm in ("console.view_people", "audit.view_auditevent", "console.manage_authorities"):
        assert ours.has_perm(fresh, perm) == django.has_perm(_fresh(user), perm), perm
    assert ours.has_module_perms(fresh, "console") and not ours.has_module_perms(fresh, "nope")


def test_one_query_and_model_backend_asks_nothing_after_it(operator_with_own_permission):
    user = _fresh(operator_with_own_permission)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("console.view_people")
        assert not user.has_perm("console.manage_authorities")  # every backend asked
        assert "audit.view_auditevent" in user.get_all_permissions()
        assert "audit.view_auditevent" in user.get_user_permissions()
    assert len(queries) == 1


def test_nothing_for_an_inactive_or_anonymous_user_or_an_object(operator_with_own_permission):
    ours = PermissionsInOneQuery()
    inactive = _fresh(operator_with_own_permission)
    inactive.is_active = False
    assert ours.get_all_permissions(inactive) == set()
    assert not inactive.has_perm("console.view_people")
    assert ours.get_all_permissions(AnonymousUser()) == set()
    active = _fresh(operator_with_own_permission)
    assert ours.get_all_permissions(active, obj=object()) == set()


def test_a_superuser_has_every_permission():
    ensure_roles()
    root = User.objects.create_superuser("root", password="x")
    every = set(ModelBackend().get_all_permissions(_fresh(root)))
    assert PermissionsInOneQuery().get_all_permissions(_fresh(root)) == every


def test_it_signs_nobody_in_and_sessions_name_model_backend(client, operator_with_own_permission):
    backends = settings.AUTHENTICATION_BACKENDS
    assert backends.index("jitsuin.access.permissions.PermissionsInOneQuery") < backends.index(
        MODEL_BACKEND
    )
    assert PermissionsInOneQuery().authenticate(None, username="op1", password="x") is None
    assert not hasattr(PermissionsInOneQuery(), "get_user")  # no session can name it
    client.force_login(operator_with_own_permission)
    session = client.session
    assert session["_auth_user_backend"] == MODEL_BACKEND
    assert int(session[SESSION_KEY]) == operator_with_own_permission.pk

    class Request:
        pass

    request = Request()
    request.session = session  # type: ignore[attr-defined]
    assert get_user(request).pk == operator_with_own_permission.pk  # type: ignore[arg-type]
