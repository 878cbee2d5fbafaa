"""The national certificate service in the console: its batches, their lines, its mails.

Reading is for whoever reads the stuck queue; sending a refused line again is a retry of its
request, so it needs the permission to retry requests (upki_actions.retry_line audits it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jitsuin.config import current
from jitsuin.console import feedback, upki_actions, upki_summary
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.forms import ReasonForm
from jitsuin.console.roles import ACT, VIEW_PEOPLE
from jitsuin.upki.models import ApplyType, Batch, Line, Mail, MailState
from jitsuin.upki.one_time_urls import without_secrets

PER_PAGE = 50
# What a line row needs; the sealed PIN and file stay in the database.
LINE_FIELDS = (
    "pk",
    "request_id",
    "apply_type",
    "state",
    "batch_id",
    "seq",
    "dn",
    "error_code",
    "error",
    "updated_at",
)
ALL_MAILS = "all"


@require_GET
@console_view(VIEW_PEOPLE)
def national_service(request: HttpRequest) -> HttpResponse:
    """The summary, then the batches, newest first."""
    page = Paginator(upki_summary.batches(), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "summary": upki_summary.summary(timezone.now()),
        "page": page,
        "rows": [(batch, upki_summary.line_counts(batch)) for batch in page],
        "enabled": current().upki.enabled,
        "recent_days": upki_summary.RECENT.days,
        "counted": [state.label for state in upki_summary.COUNTED],
    }
    return render(request, "console/upki.html", context)


@require_GET
@console_view(VIEW_PEOPLE)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.defer("tsv", "result_page"), pk=batch_id)
    context = {
        "batch": batch,
        "lines": batch.lines.only(*LINE_FIELDS).order_by("seq", "id"),
    }
    return render(request, "console/upki_batch.html", context)


@require_GET
@console_view(VIEW_PEOPLE)
def batch_tsv(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The exact bytes uploaded (Shift_JIS, as the service takes them)."""
    batch = get_object_or_404(Batch.objects.only("pk", "apply_type", "tsv"), pk=batch_id)
    kind = ApplyType(batch.apply_type).name.lower()
    response = HttpResponse(
        bytes(batch.tsv), content_type="text/tab-separated-values; charset=Shift_JIS"
    )
    response["Content-Disposition"] = f'attachment; filename="upki-batch-{batch.pk}-{kind}.tsv"'
    return response


@require_POST
@console_view(ACT)
def retry_line(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(Line.objects.only("pk", "batch_id", "request_id"), pk=line_id)
    back_to = (
        reverse("console:upki_batch", args=[line.batch_id])
        if line.batch_id
        else reverse("console:upki")
    )
    form = ReasonForm(request.POST)
    if form.is_valid():
        feedback.run(
            request,
            lambda: upki_actions.retry_line(
                line.pk, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            ),
            _("The application of request %(id)s goes to the national service again.")
            % {"id": line.request_id},
        )
    else:
        feedback.reason_missing(request)
    return feedback.back(request, back_to)


@dataclass(frozen=True)
class MailRow:
    mail: Mail
    url: str  # scheme, host and path only: the query is a one-time credential
    note: str


@require_GET
@console_view(VIEW_PEOPLE)
def mails(request: HttpRequest) -> HttpResponse:
    """The service's mails; by default those not matched to a line."""
    state = request.GET.get("state", "")
    if state == ALL_MAILS:
        found = Mail.objects.all()
    elif state in MailState.values:
        found = Mail.objects.filter(state=state)
    else:
        state, found = "", upki_summary.not_matched_mails()
    found = (
        found.select_related("line")
        .defer("line__pin_sealed", "line__p12_sealed")
        .order_by("-received_at", "-id")
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        MailRow(
            mail=mail,
            url=mail.url_shown,
            note=without_secrets(mail.note),
        )
        for mail in page
    ]
    context = {
        "rows": rows,
        "page": page,
        "state": state,
        "states": MailState.choices,
        "all_mails": ALL_MAILS,
    }
    return render(request, "console/upki_mails.html", context)
