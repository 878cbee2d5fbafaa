"""A user's permissions read in one query: their own and their groups' (issue 15).

Django's ``ModelBackend`` reads them in two (``get_user_permissions``, then
``get_group_permissions``) on every request whose page asks for a permission: every console
page, before anything of its own. This backend stands before it in
``AUTHENTICATION_BACKENDS`` and answers the same questions from one ``UNION ALL`` of the two,
filling the same per-request caches on the user object that ``ModelBackend`` fills and reads
(``_user_perm_cache``, ``_group_perm_cache``, ``_perm_cache``), so that ``ModelBackend``,
asked after it, finds them read and asks nothing again.

It signs nobody in: ``authenticate`` answers None, and it has no ``get_user``, so no session
can name it (Django's test client, too, picks the first backend that has one); sign-in,
django-axes' checks and the backend a session names are those they were. The async checks
(``ahas_perm``) are left to ``ModelBackend``. The answers are ``ModelBackend``'s, for the
same users: nothing for an inactive or anonymous user or for an object, every permission for
a superuser. Nothing is kept past the user object, which lives for one request.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import ManyToManyField

_USER, _GROUP = "user", "group"


@cache
def _statement(alias: str) -> str:
    """The user's own permissions and their groups' as one statement, names from the models.

    Written out rather than built by the ORM: it runs on every console page, and compiling
    the ORM's ``union`` of the two cost more than the second query it saves.
    """
    quote = connections[alias].ops.quote_name
    users = get_user_model()._meta
    own = cast(ManyToManyField, users.get_field("user_permissions"))
    groups = cast(ManyToManyField, users.get_field("groups"))
    of_group = cast(ManyToManyField, Group._meta.get_field("permissions"))
    permission, content_type = quote(Permission._meta.db_table), quote(ContentType._meta.db_table)
    permission_id = f"{permission}.{quote(Permission._meta.pk.column)}"
    of_type = quote(Permission._meta.get_field("content_type").column)  # type: ignore[union-attr]
    named = (
        f"{content_type}.{quote('app_label')}, {permission}.{quote('codename')}"
        f" FROM {permission} INNER JOIN {content_type}"
        f" ON {content_type}.{quote(ContentType._meta.pk.column)} = {permission}.{of_type}"
    )
    return (
        f"SELECT '{_USER}', {named} INNER JOIN {quote(own.m2m_db_table())} AS own"
        f" ON own.{quote(own.m2m_reverse_name())} = {permission_id}"
        f" WHERE own.{quote(own.m2m_column_name())} = %s"
        f" UNION ALL SELECT '{_GROUP}', {named}"
        f" INNER JOIN {quote(of_group.m2m_db_table())} AS granted"
        f" ON granted.{quote(of_group.m2m_reverse_name())} = {permission_id}"
        f" INNER JOIN {quote(groups.m2m_db_table())} AS member"
        f" ON member.{quote(groups.m2m_reverse_name())}"
        f" = granted.{quote(of_group.m2m_column_name())}"
        f" WHERE member.{quote(groups.m2m_column_name())} = %s"
    )


def _read(user: Any) -> None:
    """Fill the user's three permission caches (``ModelBackend``'s names) in one query."""
    if user.is_superuser:
        every = {
            f"{app}.{codename}"
            for app, codename in Permission.objects.values_list(
                "content_type__app_label", "codename"
            ).order_by()
        }
        user._user_perm_cache, user._group_perm_cache = every, every
    else:
        found: dict[str, set[str]] = {_USER: set(), _GROUP: set()}
        alias = user._state.db or DEFAULT_DB_ALIAS
        with connections[alias].cursor() as cursor:
            cursor.execute(_statement(alias), [user.pk, user.pk])
            for source, app, codename in cursor.fetchall():
                found[source].add(f"{app}.{codename}")
        user._user_perm_cache, user._group_perm_cache = found[_USER], found[_GROUP]
    user._perm_cache = {*user._user_perm_cache, *user._group_perm_cache}


def _readable(user: Any, obj: object) -> bool:
    return bool(user.is_active) and not user.is_anonymous and obj is None


def _cached(user: Any, obj: object, cache_name: str) -> set[str]:
    """One of ``ModelBackend``'s three permission caches on ``user``, all read on first use."""
    if not _readable(user, obj):
        return set()
    if not hasattr(user, cache_name):
        _read(user)
    return getattr(user, cache_name)  # type: ignore[no-any-return]


class PermissionsInOneQuery:
    """``ModelBackend``'s permission answers, its two queries made one."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return _cached(user_obj, obj, "_user_perm_cache")

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return _cached(user_obj, obj, "_group_perm_cache")

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return _cached(user_obj, obj, "_perm_cache")

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(user_obj.is_active) and perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(user_obj.is_active) and any(
            perm[: perm.index(".")] == app_label for perm in self.get_all_permissions(user_obj)
        )
