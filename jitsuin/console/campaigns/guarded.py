"""The guarded campaign steps in the console: start and the dual-control revocation confirmation.

Each shows what it does in numbers, asks for the campaign's name typed exactly and a reason
(``forms.GuardForm``), and goes through ``campaigns.guard`` like the CLI. Confirming the
revocation takes two different CA admins (``campaigns.approvals``); the first one's
confirmation can be withdrawn while it waits.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jitsuin.campaigns import approvals, guard, services
from jitsuin.campaigns.models import Campaign, CampaignState
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.campaigns.forms import CancelForm, GuardForm
from jitsuin.console.roles import MANAGE_CAMPAIGNS
from jitsuin.lifecycle.errors import LifecycleError


def start_post(request: HttpRequest, campaign: Campaign, form: GuardForm) -> HttpResponse | None:
    """A submitted start form: the start, or ``None`` to show the page again with the errors."""
    if not form.is_valid():
        messages.error(request, _("Nothing was started; see the form below."))
        return None
    try:
        guard.start(
            campaign,
            actor=staff_actor(request),
            typed=form.cleaned_data["typed"],
            reason=form.cleaned_data["reason"],
        )
    except services.PreflightFailed:
        messages.error(request, _("Pre-flight checks failed; nothing was changed."))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Campaign started; invitations are being sent."))
    return redirect("campaigns:detail", pk=campaign.pk)


def _confirmed(request: HttpRequest, campaign: Campaign, form: GuardForm) -> HttpResponse | None:
    try:
        campaign = guard.confirm(
            campaign,
            actor=staff_actor(request),
            typed=form.cleaned_data["typed"],
            reason=form.cleaned_data["reason"],
        )
    except approvals.SameAdmin as exc:
        messages.error(request, str(exc.message))
        return None
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        if campaign.state == CampaignState.AWAITING_CONFIRMATION:
            messages.success(
                request,
                _(
                    "Your confirmation is recorded. A second, different CA administrator must "
                    "confirm before the revocation goes ahead."
                ),
            )
        else:
            messages.success(request, _("Revocation confirmed by two CA administrators."))
    return redirect("campaigns:detail", pk=campaign.pk)


@require_http_methods(["GET", "POST"])
@console_view(MANAGE_CAMPAIGNS)
def campaign_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: who is cut off, in numbers, and the form; POST: one of the two confirmations."""
    campaign = get_object_or_404(Campaign.objects.select_related("new_authority"), pk=pk)
    form = GuardForm(campaign, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            response = _confirmed(request, campaign, form)
            if response is not None:
                return response
        else:
            messages.error(request, _("Nothing was confirmed; see the form below."))
    campaign.refresh_from_db()
    awaiting = campaign.state == CampaignState.AWAITING_CONFIRMATION
    context = {
        "campaign": campaign,
        "awaiting": awaiting,
        "consequence": guard.confirm_consequence(campaign, now=timezone.now())
        if awaiting
        else None,
        "old_authorities": list(campaign.old_authorities.all()),
        "form": form,
        "withdraw_form": CancelForm(),
        "mine": campaign.first_confirmed_by == staff_actor(request),
    }
    return render(request, "console/campaigns/confirm.html", context)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def campaign_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back the first confirmation while it waits for a second CA admin."""
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the confirmation is withdrawn."))
        return redirect("campaigns:confirm", pk=pk)
    try:
        approvals.withdraw_confirmation(
            campaign, actor=staff_actor(request), reason=form.cleaned_data["reason"]
        )
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The first confirmation is withdrawn."))
    return redirect("campaigns:detail", pk=pk)
