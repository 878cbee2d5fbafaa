"""Console pages for switchover campaigns (mounted at /console/campaigns/).

Staff only, after a second factor. Every staff role follows a campaign (``view_campaigns``);
every step that changes one is for CA admins (``manage_campaigns``): starting a campaign
makes another intermediate the issuing CA and e-mails every holder from the official sender.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jitsuin.campaigns import guard, links, mailing, mailtext, members, queries, services
from jitsuin.campaigns.export import csv_rows
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState, TaskState
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.campaigns import guarded
from jitsuin.console.campaigns.forms import CampaignForm, CancelForm, GuardForm, PostponeForm
from jitsuin.console.roles import MANAGE_CAMPAIGNS, VIEW_CAMPAIGNS, perm
from jitsuin.lifecycle.errors import LifecycleError

STRAGGLERS_SHOWN = 50


DATE_LABELS = 6  # at most this many dates under the chart, evenly spread


def _chart(campaign: Campaign, current: queries.Progress | None) -> list[dict[str, Any]]:
    """Stacked bars (percent of members) for each snapshot, plus the current state.

    Each part carries its category's label in the viewer's language (the tooltip), and a
    few bars carry ``show_date`` so the x axis names dates without crowding.
    """
    points = [
        (s.at, s.total, s.migrated, s.in_progress, s.stuck, s.not_started)
        for s in campaign.snapshots.order_by("at")
    ]
    if current is not None:
        points.append(
            (
                current.at,
                current.total,
                current.migrated,
                current.in_progress,
                current.stuck,
                current.not_started,
            )
        )
    points = points[-40:]
    bars = []
    width = 100.0 / max(len(points), 1)
    step = max(1, -(-len(points) // DATE_LABELS))
    for index, (at, total, migrated, in_progress, stuck, not_started) in enumerate(points):
        y = 0.0
        parts = []
        for name, value in (
            ("migrated", migrated),
            ("in_progress", in_progress),
            ("stuck", stuck),
            ("not_started", not_started),
        ):
            height = 100.0 * value / total if total else 0.0
            parts.append(
                {
                    "name": name,
                    "label": str(queries.CATEGORY_LABELS[name]),
                    "y": 100.0 - y - height,
                    "height": height,
                    "value": value,
                    "percent": height,
                }
            )
            y += height
        last = index == len(points) - 1
        bars.append(
            {
                "x": index * width,
                "width": width * 0.9,
                "center": index * width + width * 0.45,
                "at": at,
                "parts": parts,
                "total": total,
                "show_date": last or (index % step == 0 and len(points) - 1 - index >= step / 2),
            }
        )
    return bars


def _with_links(rows: Iterator[members.MemberRow]) -> list[tuple[members.MemberRow, str]]:
    """Each straggler with the helpdesk's page for the person, where the console has one."""
    result = []
    for row in rows:
        try:
            link = reverse("console:person", args=[row.person_id])
        except NoReverseMatch:
            link = ""
        result.append((row, link))
    return result


@require_GET
@console_view(VIEW_CAMPAIGNS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for campaign in Campaign.objects.select_related("new_authority").prefetch_related(
        "old_authorities"
    ):
        progress = queries.progress(campaign, now=now) if campaign.started_at else None
        rows.append({"campaign": campaign, "progress": progress})
    return render(request, "console/campaigns/list.html", {"rows": rows})


@console_view(MANAGE_CAMPAIGNS)
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                data["name"],
                old=[a.name for a in data["old"]],
                new=data["new"].name,
                cutoff=data["cutoff"],
                deadline=data["deadline"],
                actor=staff_actor(request),
                reminder_days=data["reminders"],
                texts={k: data[k] for k in ("subject_ja", "subject_en", "body_ja", "body_en")},
            )
        except LifecycleError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Campaign created. Check the plan before starting it."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request, "console/campaigns/create.html", {"form": form, "portal_host": links.public_host()}
    )


@require_GET
@console_view(VIEW_CAMPAIGNS)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("new_authority"), pk=pk)
    now = timezone.now()
    progress = queries.progress(campaign, now=now) if campaign.started_at else None
    context = {
        "campaign": campaign,
        "old_authorities": list(campaign.old_authorities.all()),
        "plan": queries.plan(campaign, now=now) if campaign.state == CampaignState.DRAFT else None,
        "timeline": queries.timeline(campaign),
        "progress": progress,
        "categories": [
            (name, getattr(progress, name), progress.percent(name)) for name in queries.CATEGORIES
        ]
        if progress
        else [],
        "chart": _chart(campaign, progress) if progress else [],
        "stragglers": _with_links(
            members.member_rows(
                campaign, now=now, limit=STRAGGLERS_SHOWN, language=get_language() or "ja"
            )
        )
        if progress
        else [],
        "tasks": campaign.tasks.all()[:5],
        "running": campaign.tasks.exclude(state__in=[TaskState.DONE, TaskState.FAILED]).exists(),
        "can_manage": request.user.has_perm(perm(MANAGE_CAMPAIGNS)),
        "first_is_mine": campaign.first_confirmed_by == staff_actor(request),
        "is_running": campaign.state in RUNNING_STATES,
        "is_open": campaign.state in (CampaignState.DRAFT, *RUNNING_STATES),
        "postpone_form": PostponeForm(),
        "cancel_form": CancelForm(),
        "overdue": campaign.state == CampaignState.AWAITING_CONFIRMATION
        and now >= campaign.deadline,
    }
    return render(request, "console/campaigns/detail.html", context)


@require_GET
@console_view(VIEW_CAMPAIGNS)
def campaign_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bars of bulk work (htmx polls this while something runs)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    running = campaign.tasks.exclude(state__in=[TaskState.DONE, TaskState.FAILED]).exists()
    return render(
        request,
        "console/campaigns/_tasks.html",
        {"campaign": campaign, "tasks": campaign.tasks.all()[:5], "running": running},
    )


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> None:
    try:
        action()
    except services.PreflightFailed:
        messages.error(request, _("Pre-flight checks failed; nothing was changed."))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)


def _step(request: HttpRequest, pk: int, step: Callable[..., object], done: str) -> HttpResponse:
    """``step(campaign, actor=...)`` by the signed-in staff member, then back to its page."""
    campaign = get_object_or_404(Campaign.objects.select_related("new_authority"), pk=pk)
    _act(request, lambda: step(campaign, actor=staff_actor(request)), done)
    return redirect("campaigns:detail", pk=pk)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def campaign_preflight(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, services.run_preflight, _("Pre-flight checks done."))


@require_http_methods(["GET", "POST"])
@console_view(MANAGE_CAMPAIGNS)
def campaign_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the invitation exactly as it will go out (ja and en), what starting does in
    numbers, then the guarded start form (typed name and reason, ``guarded.start_post``)."""
    campaign = get_object_or_404(Campaign.objects.select_related("new_authority"), pk=pk)
    form = GuardForm(campaign, request.POST or None)
    if request.method == "POST" and (done := guarded.start_post(request, campaign, form)):
        return done
    if campaign.state != CampaignState.DRAFT:
        messages.error(request, _("The campaign has already been started."))
        return redirect("campaigns:detail", pk=pk)
    try:
        previews = mailing.preview_invitation(campaign)
    except (links.ForeignLink, mailtext.BadTemplate) as exc:
        previews, refused = [], str(exc.message)
    else:
        refused = ""
    context = {
        "campaign": campaign,
        "old_authorities": list(campaign.old_authorities.all()),
        "previews": previews,
        "refused": refused,
        "plan": queries.plan(campaign, now=timezone.now()),
        "consequence": guard.start_consequence(campaign, now=timezone.now()),
        "form": form,
    }
    return render(request, "console/campaigns/start.html", context)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def campaign_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, services.prepare_summary, _("Final summary prepared."))


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the campaign is cancelled."))
        return redirect("campaigns:detail", pk=pk)
    _act(
        request,
        lambda: services.cancel(
            campaign, reason=form.cleaned_data["reason"], actor=staff_actor(request)
        ),
        _("Campaign cancelled."),
    )
    return redirect("campaigns:detail", pk=pk)


@require_POST
@console_view(MANAGE_CAMPAIGNS)
def campaign_postpone(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = PostponeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a new deadline and a reason."))
        return redirect("campaigns:detail", pk=pk)
    _act(
        request,
        lambda: services.postpone(
            campaign,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
            actor=staff_actor(request),
        ),
        _("Deadline moved."),
    )
    return redirect("campaigns:detail", pk=pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@console_view(VIEW_CAMPAIGNS)
def campaign_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    writer = csv.writer(_Echo())
    everyone = request.GET.get("all") == "1"
    services.note_export(campaign, actor=staff_actor(request), everyone=everyone)
    rows: Iterator[list[str]] = csv_rows(
        campaign,
        now=timezone.now(),
        stragglers_only=not everyone,
        language=get_language() or "ja",
    )
    response = StreamingHttpResponse(
        ("\ufeff" if i == 0 else "") + writer.writerow(row) for i, row in enumerate(rows)
    )
    response["Content-Type"] = "text/csv; charset=utf-8"
    suffix = "all" if everyone else "stragglers"
    response["Content-Disposition"] = f'attachment; filename="{campaign.name}-{suffix}.csv"'
    return response
