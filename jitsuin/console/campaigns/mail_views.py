"""Console pages for a campaign's e-mail: the preview, a test send to oneself, a reminder
round now, and the invitation again to chosen stragglers (campaigns/sendouts.py).

Every staff role reads the preview (it shows a made-up sample member, nobody's data); sending
anything is for CA admins (``manage_campaigns``), by POST with CSRF, and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from jitsuin.campaigns import links, mailing, mailtext, sendouts
from jitsuin.campaigns.models import RUNNING_STATES, Campaign
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.roles import MANAGE_CAMPAIGNS, VIEW_CAMPAIGNS, perm
from jitsuin.lifecycle.errors import LifecycleError

KINDS = (mailing.INVITE, "reminder")


class TestSendForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[
            ("both", gettext_lazy("Japanese and English")),
            ("ja", gettext_lazy("Japanese")),
            ("en", gettext_lazy("English")),
        ],
        initial="both",
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("E-mail"),
        choices=[
            (mailing.INVITE, gettext_lazy("Invitation")),
            ("reminder", gettext_lazy("Reminder")),
        ],
        initial=mailing.INVITE,
    )


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("new_authority"), pk=pk)


@require_GET
@console_view(VIEW_CAMPAIGNS)
def mail_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The invitation and the reminder as they go out, per language, for a sample member."""
    campaign = _campaign(pk)
    previews: dict[str, list[mailing.Preview]] = {}
    refused = ""
    try:
        for kind in KINDS:
            previews[kind] = mailing.preview_invitation(campaign, kind)
    except (links.ForeignLink, mailtext.BadTemplate) as exc:
        previews, refused = {}, str(exc.message)
    context = {
        "campaign": campaign,
        "previews": previews,
        "refused": refused,
        "can_manage": request.user.has_perm(perm(MANAGE_CAMPAIGNS)),
        "test_form": _last_choice(request),
        "staff_email": getattr(request.user, "email", ""),
        "is_running": campaign.state in RUNNING_STATES,
    }
    return render(request, "console/campaigns/mail_preview.html", context)


def _last_choice(request: HttpRequest) -> TestSendForm:
    """The test form showing what was sent last (from the redirect's query, choices only)."""
    chosen = TestSendForm(request.GET)
    return TestSendForm(initial=chosen.cleaned_data if chosen.is_valid() else None)


def _act(request: HttpRequest, action: Callable[[], str]) -> None:
    """Run ``action``; its answer is the success message, a refusal the error message."""
    try:
        done = action()
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def mail_test(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's e-mail for a sample member to the signed-in staff member only."""
    campaign = _campaign(pk)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a language and an e-mail."))
        return redirect("campaigns:mail_preview", pk=pk)
    chosen = form.cleaned_data["language"]
    address = getattr(request.user, "email", "") or ""

    def send() -> str:
        sent = sendouts.send_test(
            campaign,
            to=address,
            actor=staff_actor(request),
            languages=sendouts.LANGUAGES if chosen == "both" else (chosen,),
            kind=form.cleaned_data["kind"],
        )
        return _("%(n)s test e-mail(s) marked [TEST] are in the outbox for %(to)s.") % {
            "n": len(sent),
            "to": address,
        }

    _act(request, send)
    query = urlencode({"language": chosen, "kind": form.cleaned_data["kind"]})
    return redirect(f"{reverse('campaigns:mail_preview', args=[pk])}?{query}")


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def remind_now(request: HttpRequest, pk: int) -> HttpResponse:
    """One reminder round now to everyone who has not migrated (the worker sends it)."""
    campaign = _campaign(pk)

    def send() -> str:
        reminder = sendouts.remind_now(campaign, actor=staff_actor(request))
        total = reminder.task.total if reminder.task else 0
        return _("Reminder round opened for %(n)s people; it is being sent.") % {"n": total}

    _act(request, send)
    return redirect("campaigns:detail", pk=pk)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def resend_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    """The invitation again to the stragglers ticked on the campaign page."""
    campaign = _campaign(pk)
    raw = request.POST.getlist("person")[: sendouts.MAX_RESEND + 1]
    try:
        chosen = [int(value) for value in raw]
    except ValueError:
        chosen = []
    if len(chosen) > sendouts.MAX_RESEND:
        messages.error(request, _("At most %(n)s people at a time.") % {"n": sendouts.MAX_RESEND})
        return redirect("campaigns:detail", pk=pk)

    def send() -> str:
        uids = sendouts.resend_invitations(campaign, chosen, actor=staff_actor(request))
        return _("Invitation sent again to %(n)s people (only those not yet migrated).") % {
            "n": len(uids)
        }

    _act(request, send)
    return redirect("campaigns:detail", pk=pk)
