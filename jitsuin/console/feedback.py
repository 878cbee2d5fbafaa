"""How a console action tells the staff member what happened: a message, then back to the page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from jitsuin.lifecycle.errors import LifecycleError


def run(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    """Run ``action``; ``done`` on success, the error's own message if a service refused."""
    try:
        action()
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
        return False
    messages.success(request, done)
    return True


def reason_missing(request: HttpRequest) -> None:
    messages.error(request, _("Give a reason: it is kept in the audit log."))


def back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """To the form's ``next`` page when it is on this site, else to ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)
