"""Console actions (POST; a resend shows the e-mail first): each calls one service with the
staff member and a reason."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jitsuin.console import feedback, resending
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.forms import ExceptionForm, KeyedReasonForm, ReasonForm, RevokeForm
from jitsuin.console.roles import ACT, EXCEPTIONS, RESEND
from jitsuin.lifecycle import services
from jitsuin.lifecycle.models import Certificate, Person, PolicyException, Request
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.services import resend

Action = Callable[[dict[str, Any], str], object]


def _reason_missing(request: HttpRequest, form: forms.Form) -> None:
    feedback.reason_missing(request)


def _act(
    request: HttpRequest,
    form: forms.Form,
    action: Action,
    *,
    done: str,
    back_to: str,
    invalid: Callable[[HttpRequest, forms.Form], None] = _reason_missing,
) -> HttpResponse:
    """Validate ``form``, then ``action(cleaned_data, actor)``; a message either way, then back."""
    if form.is_valid():
        feedback.run(request, lambda: action(form.cleaned_data, staff_actor(request)), done)
    else:
        invalid(request, form)
    return feedback.back(request, back_to)


def _with_reason(
    request: HttpRequest, service: Callable[..., object], *, done: str, back_to: str
) -> HttpResponse:
    """``service(actor=..., reason=...)`` with the reason from a ``ReasonForm``."""
    return _act(
        request,
        ReasonForm(request.POST),
        lambda data, actor: service(actor=actor, reason=data["reason"]),
        done=done,
        back_to=back_to,
    )


@require_POST
@console_view(ACT)
def retry(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(Request, pk=request_id)
    return _with_reason(
        request,
        partial(services.retry_request, item),
        done=_("Request %(id)s is queued again.") % {"id": item.pk},
        back_to=reverse("console:request", args=[item.pk]),
    )


@require_POST
@console_view(ACT)
def cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(Request, pk=request_id)
    return _with_reason(
        request,
        partial(services.cancel_request, item),
        done=_("Request %(id)s is cancelled.") % {"id": item.pk},
        back_to=reverse("console:request", args=[item.pk]),
    )


@require_POST
@console_view(ACT)
def revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate, pk=certificate_id)
    return _act(
        request,
        RevokeForm(request.POST),
        lambda data, actor: services.request_revoke(
            certificate,
            actor=actor,
            idempotency_key=f"console:{data['idempotency_key']}",
            reason=data["reason_code"],
        ),
        done=_("Revocation requested on the user's behalf."),
        back_to=reverse("console:person", args=[certificate.person_id]),
    )


@require_POST
@console_view(ACT)
def issue_anew(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    return _act(
        request,
        KeyedReasonForm(request.POST),
        lambda data, actor: services.issue_anew(
            person,
            actor=actor,
            reason=data["reason"],
            idempotency_key=f"console:{data['idempotency_key']}",
        ),
        done=_("A new certificate was requested."),
        back_to=reverse("console:person", args=[person.pk]),
    )


def _exception_form_errors(request: HttpRequest, form: forms.Form) -> None:
    messages.error(
        request,
        _("The exception form has errors: %(errors)s") % {"errors": form.errors.as_text()},
    )


@require_POST
@console_view(EXCEPTIONS)
def grant_exception(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    return _act(
        request,
        ExceptionForm(request.POST),
        lambda data, actor: services.grant_exception(
            person,
            data["profile"],
            policy=data["policy"],
            actor=actor,
            reason=data["reason"],
            expires_at=data["expires_at"],
        ),
        done=_("Exception granted."),
        back_to=reverse("console:person", args=[person.pk]),
        invalid=_exception_form_errors,
    )


@require_POST
@console_view(EXCEPTIONS)
def withdraw_exception(request: HttpRequest, person_id: int, exception_id: int) -> HttpResponse:
    """The person rolls over under their profile's own policy again."""
    exception = get_object_or_404(
        PolicyException.objects.select_related("person", "profile"),
        pk=exception_id,
        person_id=person_id,
    )
    return _with_reason(
        request,
        partial(services.revoke_exception, exception),
        done=_("Exception withdrawn."),
        back_to=reverse("console:person", args=[person_id]),
    )


@require_http_methods(["GET", "POST"])
@console_view(RESEND)
def resend_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """GET: the e-mail as it went out, a warning if its pickup was collected, earlier
    resends; POST (with a reason): send it again."""
    message = get_object_or_404(OutboxMessage.objects.select_related("person"), pk=message_id)
    if request.method == "GET":
        context = {
            "message": message,
            "collected": resending.collected_pickup(message),
            "resends": resending.earlier_resends(message),
        }
        return render(request, "console/resend.html", context)
    return _with_reason(
        request,
        partial(resend, message),
        done=_("The e-mail will be sent again."),
        back_to=(
            reverse("console:person", args=[message.person_id])
            if message.person_id
            else reverse("console:outbox")
        ),
    )
