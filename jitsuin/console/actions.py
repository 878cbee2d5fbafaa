"""Console actions (POST only): each calls one service with the staff member and a reason."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.forms import ExceptionForm, KeyedReasonForm, ReasonForm, RevokeForm
from jitsuin.console.roles import ACT, EXCEPTIONS, RESEND
from jitsuin.lifecycle import services
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Certificate, Person, PolicyException, Request
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.services import resend


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def _run(request: HttpRequest, action: Callable[[], object], done: str) -> None:
    try:
        action()
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)


def _invalid(request: HttpRequest) -> None:
    messages.error(request, _("Give a reason: it is kept in the audit log."))


@require_POST
@console_view(ACT)
def retry(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(Request, pk=request_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.retry_request(
                item, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            ),
            _("Request %(id)s is queued again.") % {"id": item.pk},
        )
    else:
        _invalid(request)
    return _back(request, reverse("console:request", args=[item.pk]))


@require_POST
@console_view(ACT)
def cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(Request, pk=request_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.cancel_request(
                item, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            ),
            _("Request %(id)s is cancelled.") % {"id": item.pk},
        )
    else:
        _invalid(request)
    return _back(request, reverse("console:request", args=[item.pk]))


@require_POST
@console_view(ACT)
def revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    form = RevokeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            lambda: services.request_revoke(
                certificate,
                actor=staff_actor(request),
                idempotency_key=f"console:{data['idempotency_key']}",
                reason=data["reason_code"],
            ),
            _("Revocation requested on the user's behalf."),
        )
    else:
        _invalid(request)
    return _back(request, reverse("console:person", args=[certificate.person_id]))


@require_POST
@console_view(ACT)
def issue_anew(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    form = KeyedReasonForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            lambda: services.issue_anew(
                person,
                actor=staff_actor(request),
                reason=data["reason"],
                idempotency_key=f"console:{data['idempotency_key']}",
            ),
            _("A new certificate was requested."),
        )
    else:
        _invalid(request)
    return _back(request, reverse("console:person", args=[person.pk]))


@require_POST
@console_view(EXCEPTIONS)
def grant_exception(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            lambda: services.grant_exception(
                person,
                data["profile"],
                policy=data["policy"],
                actor=staff_actor(request),
                reason=data["reason"],
                expires_at=data["expires_at"],
            ),
            _("Exception granted."),
        )
    else:
        messages.error(
            request,
            _("The exception form has errors: %(errors)s") % {"errors": form.errors.as_text()},
        )
    return _back(request, reverse("console:person", args=[person.pk]))


@require_POST
@console_view(EXCEPTIONS)
def withdraw_exception(request: HttpRequest, person_id: int, exception_id: int) -> HttpResponse:
    """The person rolls over under their profile's own policy again."""
    exception = get_object_or_404(
        PolicyException.objects.select_related("person", "profile"),
        pk=exception_id,
        person_id=person_id,
    )
    form = ReasonForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.revoke_exception(
                exception, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            ),
            _("Exception withdrawn."),
        )
    else:
        _invalid(request)
    return _back(request, reverse("console:person", args=[person_id]))


@require_POST
@console_view(RESEND)
def resend_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, pk=message_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        resend(message, actor=staff_actor(request), reason=form.cleaned_data["reason"])
        messages.success(request, _("The e-mail will be sent again."))
    else:
        _invalid(request)
    fallback = (
        reverse("console:person", args=[message.person_id])
        if message.person_id
        else reverse("console:outbox")
    )
    return _back(request, fallback)
