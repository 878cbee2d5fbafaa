"""Key recovery in the console (CA admins, docs/key-recovery.md): ask for someone else's
archived S/MIME key (a departed member, a legal hold), the two approvals by two other CA
admins, and the one-time download for the admin who asked, once processed offline."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jitsuin.config import current
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.roles import RECOVER_KEYS
from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.errors import LifecycleError, NotFound
from jitsuin.lifecycle.models import KeyArchive, KeyRecovery, Pickup
from jitsuin.lifecycle.pickups import collect_pickup, reveal_pin
from jitsuin.pki.names import Serial

SHOWN = 100


class RecoveryForm(forms.Form):
    uid = forms.CharField(label=gettext_lazy("User ID of the key's owner"), max_length=150)
    serial = forms.CharField(
        label=gettext_lazy("Serial number of the certificate (hex)"), max_length=80
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (recorded and e-mailed to the owner)"),
        max_length=recovery.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def archive(self) -> KeyArchive | None:
        try:
            serial = Serial.parse(self.cleaned_data["serial"]).db
        except ValueError:
            self.add_error("serial", _("This is not a serial number."))
            return None
        found = KeyArchive.objects.select_related("certificate__person").filter(
            certificate__person__uid=self.cleaned_data["uid"], certificate__serial=serial
        )
        archive = found.first()
        if archive is None:
            self.add_error(None, _("No archived key of this person with this serial number."))
        return archive


def _page(request: HttpRequest, form: RecoveryForm) -> HttpResponse:
    rows = (
        KeyRecovery.objects.select_related("archive__certificate__person", "recipient")
        .filter(for_owner=False)
        .order_by("-created_at", "-pk")[:SHOWN]
    )
    context = {
        "rows": rows,
        "form": form,
        "me": staff_actor(request),
        "archiving": current().key_recovery_key_pem is not None,
    }
    return render(request, "console/key_recoveries.html", context)


@console_view(RECOVER_KEYS)
def recoveries(request: HttpRequest) -> HttpResponse:
    """GET: recoveries of other people's keys and the form. POST: ask for one."""
    if request.method != "POST":
        return _page(request, RecoveryForm())
    form = RecoveryForm(request.POST)
    archive = form.archive() if form.is_valid() else None
    if archive is None:
        return _page(request, form)
    try:
        recovery.request_recovery_for(
            archive,
            staff_user=request.user,  # type: ignore[arg-type]
            actor=staff_actor(request),
            reason=form.cleaned_data["reason"],
        )
    except LifecycleError as exc:
        form.add_error(None, str(exc.message))
        return _page(request, form)
    messages.success(
        request,
        _("Recovery requested. Two other CA admins must approve it before it is processed."),
    )
    return redirect("console:key_recoveries")


def _act(request: HttpRequest, recovery_id: int, act: str) -> HttpResponse:
    item = get_object_or_404(KeyRecovery, pk=recovery_id, for_owner=False)
    try:
        if act == "approve":
            recovery.approve(item, approver=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Your approval is recorded."))
        else:
            recovery.cancel(item, actor=staff_actor(request))
            messages.success(request, _("The recovery is cancelled."))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    return redirect("console:key_recoveries")


@require_POST
@console_view(RECOVER_KEYS)
def approve(request: HttpRequest, recovery_id: int) -> HttpResponse:
    return _act(request, recovery_id, "approve")


@require_POST
@console_view(RECOVER_KEYS)
def cancel(request: HttpRequest, recovery_id: int) -> HttpResponse:
    return _act(request, recovery_id, "cancel")


def _recipients_pickup(request: HttpRequest, recovery_id: int) -> Pickup:
    pickup = Pickup.objects.filter(recovery_id=recovery_id).values_list("pk", flat=True).first()
    try:
        if pickup is None:
            raise NotFound(_("No such download."))
        return recovery.pickup_for_recipient(request.user, pickup)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc


@console_view(RECOVER_KEYS)
def download(request: HttpRequest, recovery_id: int) -> HttpResponse:
    """For the admin who asked only: GET shows the new PIN, POST gives the .p12 file."""
    pickup = _recipients_pickup(request, recovery_id)
    actor = staff_actor(request)
    try:
        if request.method == "POST":
            data = collect_pickup(pickup, actor=actor)
            name = f"{pickup.certificate.person.uid}-{pickup.certificate.serial_number.hex}.p12"
            response = HttpResponse(data, content_type="application/x-pkcs12")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        pin = reveal_pin(pickup, actor=actor)
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
        return redirect("console:key_recoveries")
    context = {"pickup": pickup, "pin": pin, "recovery": pickup.recovery}
    return render(request, "console/key_recovery_download.html", context)
