"""Operator and CA-admin pages: notices, maintenance windows, the audit log, e-mails, CAs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jitsuin.audit import export
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.authorities import services as authority_services
from jitsuin.authorities.models import Authority
from jitsuin.console import feedback, resending, services
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.forms import AuditFilterForm, MaintenanceForm, NoticeForm, ReasonForm
from jitsuin.console.roles import AUDIT, AUTHORITIES, MAINTENANCE, NOTICES, RESEND
from jitsuin.lifecycle.models import (
    WAIT_MAINTENANCE,
    MaintenanceWindow,
    Request,
    RequestState,
)
from jitsuin.notify.models import Notice, OutboxMessage, OutboxState


@console_view(NOTICES)
def notices(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    published = set(Notice.objects.published(now).values_list("pk", flat=True))
    rows = [(n, n.pk in published) for n in Notice.objects.all()[:200]]
    return render(request, "console/notices.html", {"rows": rows})


@console_view(NOTICES)
def notice_edit(request: HttpRequest, notice_id: int | None = None) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=notice_id) if notice_id else None
    if request.method == "POST":
        form = NoticeForm(request.POST, instance=notice)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
            saved = services.save_notice(notice, actor=staff_actor(request), **fields)
            messages.success(request, _("Notice saved."))
            return redirect("console:notice_edit", notice_id=saved.pk)
    else:
        form = NoticeForm(instance=notice, initial={} if notice else {"publish_at": timezone.now()})
    return render(request, "console/notice_form.html", {"form": form, "notice": notice})


@require_POST
@console_view(NOTICES)
def notice_withdraw(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=notice_id)
    feedback.run(
        request,
        lambda: services.withdraw_notice(notice, actor=staff_actor(request)),
        _("Notice withdrawn."),
    )
    return redirect("console:notices")


def _window_row(window: MaintenanceWindow, now: datetime) -> dict[str, object]:
    """A window with its phase; one in progress says how many requests wait for its end."""
    if window.starts_at > now:
        return {"window": window, "phase": "scheduled", "waiting": 0}
    if window.ends_at <= now:
        return {"window": window, "phase": "over", "waiting": 0}
    waiting = Request.objects.filter(
        state=RequestState.WAITING,
        wait_reason=WAIT_MAINTENANCE,
        not_before__gt=window.starts_at,
        not_before__lte=window.ends_at,
    ).count()
    return {"window": window, "phase": "running", "waiting": waiting}


@console_view(MAINTENANCE)
def maintenance(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    if request.method == "POST":
        form = MaintenanceForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason", "")
            if feedback.run(
                request,
                lambda: services.schedule_maintenance(
                    actor=staff_actor(request), reason=reason, **data
                ),
                _("Maintenance window scheduled."),
            ):
                return redirect("console:maintenance")
    else:
        form = MaintenanceForm(initial={"connector": "builtin"})
    windows = MaintenanceWindow.objects.filter(ends_at__gt=now - timedelta(days=30))
    context = {
        "form": form,
        "windows": [_window_row(w, now) for w in windows.order_by("-starts_at")[:100]],
        "now": now,
        "reason_form": ReasonForm(),
    }
    return render(request, "console/maintenance.html", context)


@require_POST
@console_view(MAINTENANCE)
def maintenance_cancel(request: HttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(MaintenanceWindow, pk=window_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        feedback.run(
            request,
            lambda: services.cancel_maintenance(
                window, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            ),
            _("Maintenance window cancelled."),
        )
    else:
        feedback.reason_missing(request)
    return redirect("console:maintenance")


@console_view(AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    selection = form.selection() if request.GET else export.AuditFilter()
    page = Paginator(export.events(selection).order_by("-id"), 100).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "broken": verify() if request.GET.get("verify") else None,
        "verified": bool(request.GET.get("verify")),
    }
    return render(request, "console/audit.html", context)


def _stream(rows: QuerySet[AuditEvent], fmt: str) -> Iterator[str]:
    """The export in chunks of a few hundred events, so a big log never sits in memory."""
    buffer = io.StringIO()
    batch: list[AuditEvent] = []
    header = fmt == "csv"
    for event in rows.iterator(chunk_size=2000):
        batch.append(event)
        if len(batch) >= 500:
            yield _chunk(batch, fmt, buffer, header)
            header, batch = False, []
    if batch or header:
        yield _chunk(batch, fmt, buffer, header)


def _chunk(batch: list[AuditEvent], fmt: str, buffer: io.StringIO, header: bool) -> str:
    buffer.seek(0)
    buffer.truncate()
    if fmt == "csv":
        export.write_csv(batch, buffer, header=header)
    else:
        export.write_jsonl(batch, buffer)
    return buffer.getvalue()


@console_view(AUDIT)
def audit_export(request: HttpRequest, fmt: str) -> HttpResponse:
    selection = AuditFilterForm(request.GET or None).selection()
    content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = StreamingHttpResponse(
        _stream(export.events(selection), fmt), content_type=f"{content_type}; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="jitsuin-audit-{stamp}.{fmt}"'
    return response


@console_view(RESEND)
def outbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    messages_qs = OutboxMessage.objects.select_related("person")
    if state in OutboxState.values:
        messages_qs = messages_qs.filter(state=state)
    rows = list(messages_qs.order_by("-created_at")[:200])
    marks = resending.marks(m.pk for m in rows if m.resend_of_id)
    context = {
        "rows": [(m, marks.get(m.pk)) for m in rows],
        "state": state,
        "states": OutboxState.choices,
        "reason_form": ReasonForm(),
    }
    return render(request, "console/outbox.html", context)


@console_view(AUTHORITIES)
def authorities(request: HttpRequest) -> HttpResponse:
    rows = Authority.objects.select_related("parent").order_by("role", "not_before")
    return render(request, "console/authorities.html", {"rows": rows, "now": timezone.now()})


@require_POST
@console_view(AUTHORITIES)
def authority_activate(request: HttpRequest, authority_id: int) -> HttpResponse:
    authority = get_object_or_404(Authority, pk=authority_id)
    try:
        authority_services.activate(authority.name, actor=staff_actor(request))
        messages.success(request, _("%(name)s now issues certificates.") % {"name": authority.name})
    except authority_services.AuthorityError as exc:
        messages.error(request, str(exc))
    return redirect("console:authorities")
