"""Roles (Django groups) and the rule that staff act only after a second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

HELPDESK = "helpdesk"
OPERATOR = "operator"
CA_ADMIN = "ca-admin"
STAFF_ROLES = (HELPDESK, OPERATOR, CA_ADMIN)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    if getattr(user, "is_superuser", False):
        names.update(STAFF_ROLES)
    return names & set(STAFF_ROLES)


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff: a staff role, Django's is_staff or a superuser. They all need a second factor."""
    return bool(roles_of(user)) or bool(getattr(user, "is_staff", False))


def second_factor_verified(request: HttpRequest) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow a view only to signed-in staff holding one of ``roles`` who passed a second factor.

    Without a sign-in: to the login page. Without a verified second factor: to the TOTP
    page (set one up, or enter a code). Without the role: 403.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('access:login')}?{query}")
            if not second_factor_verified(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('access:totp')}?{query}")
            if roles and not (roles_of(user) & set(roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
