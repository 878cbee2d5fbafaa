"""The stuck queue's actions (POST only): claim, release, snooze, wake, ask the upstream again.

Retry and cancel are the request actions of ``console.actions``; these add the work-queue
part. Each calls one service with the staff member; the services audit.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jitsuin.console import feedback, stuck
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.forms import DateTimeLocal
from jitsuin.console.roles import ACT
from jitsuin.lifecycle import interventions
from jitsuin.lifecycle.models import Request


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(label=gettext_lazy("Snooze until"), widget=DateTimeLocal())
    note = forms.CharField(label=gettext_lazy("Note"), max_length=stuck.NOTE_MAX)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


def _back(request: HttpRequest) -> HttpResponse:
    return feedback.back(request, reverse("console:stuck"))


def _item(request_id: int) -> Request:
    return get_object_or_404(Request, pk=request_id)


@require_POST
@console_view(ACT)
def claim(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _item(request_id)
    take_over = request.POST.get("take_over") == "1"
    feedback.run(
        request,
        lambda: stuck.claim(item, actor=staff_actor(request), take_over=take_over),
        _("You are handling request %(id)s.") % {"id": item.pk},
    )
    return _back(request)


@require_POST
@console_view(ACT)
def release(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _item(request_id)
    form = OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    feedback.run(
        request,
        lambda: stuck.release(item, actor=staff_actor(request), reason=reason),
        _("Request %(id)s is released.") % {"id": item.pk},
    )
    return _back(request)


@require_POST
@console_view(ACT)
def snooze(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _item(request_id)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        feedback.run(
            request,
            lambda: stuck.snooze(
                item,
                actor=staff_actor(request),
                until=form.cleaned_data["until"],
                note=form.cleaned_data["note"],
            ),
            _("Request %(id)s is snoozed.") % {"id": item.pk},
        )
    else:
        messages.error(request, _("Give a time in the future and a note."))
    return _back(request)


@require_POST
@console_view(ACT)
def wake(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _item(request_id)
    feedback.run(
        request,
        lambda: stuck.wake(item, actor=staff_actor(request)),
        _("Request %(id)s is back in the queue.") % {"id": item.pk},
    )
    return _back(request)


@require_POST
@console_view(ACT)
def repoll(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _item(request_id)
    form = OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    feedback.run(
        request,
        lambda: interventions.repoll_now(item, actor=staff_actor(request), reason=reason),
        _("The upstream CA is asked about request %(id)s now.") % {"id": item.pk},
    )
    return _back(request)
