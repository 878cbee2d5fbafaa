"""Who may open which console page: signed in, a verified second factor, the permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from jitsuin.access.roles import second_factor_verified
from jitsuin.audit.actors import Actor
from jitsuin.console.roles import OPEN, perm

View = Callable[..., HttpResponse]


def console_view(codename: str = OPEN) -> Callable[[View], View]:
    """Guard a console view with ``console.<codename>``.

    Not signed in: the login page. A user without any console role: 403. Staff without a
    verified second factor: the TOTP page; they can neither read nor act. Missing
    permission: 403.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        @never_cache
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            query = urlencode({"next": request.get_full_path()})
            if not user.is_authenticated:
                return redirect(f"{reverse('access:login')}?{query}")
            if not user.has_perm(perm(OPEN)):
                raise PermissionDenied
            if not second_factor_verified(request):
                return redirect(f"{reverse('access:totp')}?{query}")
            if not user.has_perm(perm(codename)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_actor(request: HttpRequest) -> str:
    """How the audit log and the requests name a staff member: ``staff:<username>``."""
    return str(Actor.staff(request.user.get_username()))
