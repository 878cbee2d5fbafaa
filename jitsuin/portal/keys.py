"""My archived keys (S/MIME key recovery, docs/key-recovery.md): the signed-in person's own
archived keys, revoked and expired certificates included, and asking for one back.

Both pages need a verified second factor, for users too: a recovered key reads old mail.
The file itself is downloaded on the usual download page (``portal:download``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from jitsuin.access.roles import second_factor_verified
from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import KeyArchive, KeyRecovery, Person, PickupState
from jitsuin.lifecycle.permissions import DisplayStatus, certificate_status
from jitsuin.portal.identity import actor_for
from jitsuin.portal.views import person_required


@dataclass(frozen=True)
class ArchivedKey:
    archive: KeyArchive
    status: str
    recoveries: list[KeyRecovery]

    @property
    def status_label(self) -> object:
        return DisplayStatus.LABELS.get(self.status, self.status)

    @property
    def open_recovery(self) -> KeyRecovery | None:
        return next(
            (r for r in self.recoveries if r.for_owner and r.state in recovery.OPEN_STATES), None
        )


def _step_up(request: HttpRequest) -> HttpResponse | None:
    if second_factor_verified(request):
        return None
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('access:totp')}?{query}")


def _archived_keys(person: Person, now: datetime) -> list[ArchivedKey]:
    recoveries = KeyRecovery.objects.select_related("pickup").order_by("-created_at", "-pk")
    archives = recovery.archives_of(person).prefetch_related(
        Prefetch("recoveries", queryset=recoveries)
    )
    return [
        ArchivedKey(a, certificate_status(a.certificate, now), list(a.recoveries.all()))
        for a in archives
    ]


def downloadable(item: KeyRecovery, now: datetime) -> bool:
    pickup = getattr(item, "pickup", None)
    return (
        item.for_owner
        and pickup is not None
        and pickup.state != PickupState.DESTROYED
        and pickup.expires_at > now
    )


@never_cache
@require_GET
@person_required
def archived_keys(request: HttpRequest, person: Person) -> HttpResponse:
    step_up = _step_up(request)
    if step_up is not None:
        return step_up
    now = timezone.now()
    items = _archived_keys(person, now)
    rows = [(item, [(r, downloadable(r, now)) for r in item.recoveries]) for item in items]
    return render(request, "portal/keys.html", {"person": person, "rows": rows, "now": now})


@never_cache
@require_http_methods(["GET", "POST"])
@person_required
def recover(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """GET: what a recovery is. POST: ask for it (one open recovery per key)."""
    step_up = _step_up(request)
    if step_up is not None:
        return step_up
    archive = get_object_or_404(recovery.archives_of(person), pk=pk)
    if request.method == "POST":
        try:
            recovery.request_own_recovery(
                person,
                archive.pk,
                user=request.user,  # type: ignore[arg-type]
                actor=actor_for(person),
                reason=request.POST.get("reason", ""),
            )
        except LifecycleError as exc:
            messages.error(request, str(exc.message))
            return redirect("portal:recover_key", pk=archive.pk)
        messages.success(
            request,
            _(
                "Recovery requested. It is processed where the institution keeps the recovery "
                "key; you get an e-mail when the file can be downloaded with a new PIN."
            ),
        )
        return redirect("portal:archived_keys")
    context = {
        "person": person,
        "archive": archive,
        "certificate": archive.certificate,
        "status_label": DisplayStatus.LABELS.get(certificate_status(archive.certificate), ""),
    }
    return render(request, "portal/recover_key.html", context)
