"""The user's certificate pages: overview, details, issue, revoke, download, live status.

Views are thin: they find the signed-in person's own objects (404 for anyone else's), ask
``permissions.actions_for`` what is allowed and call the lifecycle services for every change.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jitsuin.access.roles import second_factor_verified
from jitsuin.authorities.publishing.crl import next_crl_update
from jitsuin.lifecycle import recovery, services
from jitsuin.lifecycle.errors import LifecycleError, PickupGone
from jitsuin.lifecycle.models import Certificate, Person, Pickup
from jitsuin.lifecycle.permissions import actions_for, with_page_facts
from jitsuin.lifecycle.reasons import USER_REASONS
from jitsuin.notify.models import Notice
from jitsuin.onboarding.services import build_profile
from jitsuin.portal import device_setup, page_cache, presenters
from jitsuin.portal.identity import actor_for, person_for, signed_in_person
from jitsuin.portal.pages import PLATFORMS

PersonView = Callable[..., HttpResponse]
_IDEMPOTENCY = re.compile(r"^[0-9a-f]{32}$")


def person_required(view: PersonView) -> PersonView:
    """Signed in and known as a Person; the view gets ``person`` after ``request``."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person, staff = signed_in_person(request.user)
        if staff and not second_factor_verified(request):
            # Staff act after their second factor everywhere, their own certificates included.
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('access:totp')}?{query}")
        if person is None:
            person = person_for(request.user)  # on first sign-in, linked by uid
        if person is None:
            return render(request, "portal/no_person.html", status=403)
        if not person.active:
            # Deactivated (lifecycle.leavers): signed out, and nothing to see or ask for.
            logout(request)
            return render(request, "portal/inactive.html", status=403)
        return view(request, person, *args, **kwargs)

    return wrapped


def _idempotency_key(request: HttpRequest, person: Person, action: str) -> str | None:
    token = request.POST.get("idempotency", "")
    if not _IDEMPOTENCY.match(token):
        return None
    return f"portal:{person.pk}:{action}:{token}"


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True, private=True)
    return response


def _own_certificate(person: Person, pk: int, now: datetime | None = None) -> Certificate:
    return get_object_or_404(
        with_page_facts(Certificate.objects.all(), now or timezone.now()).select_related(
            "issuer__parent", "profile"
        ),
        pk=pk,
        person=person,
    )


@never_cache
@person_required
def home(request: HttpRequest, person: Person) -> HttpResponse:
    def fresh(extra: dict[str, str]) -> HttpResponse:
        now = timezone.now()
        context = _overview_context(request, person, now)
        context["notices"] = list(Notice.objects.published(now)[:3])
        context["has_archived_keys"] = context["overview"].has_archived_keys
        return render(request, "portal/home.html", context | extra)

    return page_cache.serve(request, person, fresh)


def _overview_context(request: HttpRequest, person: Person, now: Any) -> dict[str, Any]:
    shown = presenters.history_length(request.GET.get("history"))
    return {
        "person": person,
        "overview": presenters.overview(person, now, history_limit=shown),
        "history_shown": shown,
        "history_more": shown + presenters.HISTORY_PAGE,
    }


@never_cache
@person_required
def status_fragment(request: HttpRequest, person: Person) -> HttpResponse:
    """The certificates panel alone, polled by htmx while something is in progress."""

    def fresh(extra: dict[str, str]) -> HttpResponse:
        context = _overview_context(request, person, timezone.now())
        return render(request, "portal/_status.html", context | extra)

    return page_cache.serve(request, person, fresh)


def _certificate_context(person: Person, certificate: Certificate, now: datetime) -> dict[str, Any]:
    actions = actions_for(person, now=now)
    card = presenters.card_for(certificate, actions, presenters.switches_for(certificate, now))
    presenters.with_wifi_use([card])
    history = presenters.requests_with_history(person).filter(
        Q(target=certificate) | Q(certificate=certificate)
    )
    effect = None
    if card.status in ("revoking", "revoked"):
        effect = {"crl_by": next_crl_update(certificate.issuer, now=now)}
    return {
        "person": person,
        "card": card,
        # Revoked or expired: the next step is a new certificate, offered on this page.
        # (The issue policy is evaluated only then.)
        "offer_issue": card.status in presenters.FINISHED_STATUSES and actions.can_issue,
        "certificate": certificate,
        "requests": list(history),
        "effect": effect,
        "now": now,
        "key_archived": certificate.key_archived,
    }


@never_cache
@person_required
def certificate_detail(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    return page_cache.serve(
        request, person, _certificate_page(request, person, pk, "portal/certificate.html")
    )


def _certificate_page(
    request: HttpRequest, person: Person, pk: int, template: str
) -> Callable[[dict[str, str]], HttpResponse]:
    def fresh(extra: dict[str, str]) -> HttpResponse:
        now = timezone.now()
        certificate = _own_certificate(person, pk, now)
        context = _certificate_context(person, certificate, now)
        return render(request, template, context | extra)

    return fresh


@never_cache
@person_required
def certificate_fragment(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    return page_cache.serve(
        request, person, _certificate_page(request, person, pk, "portal/_certificate_status.html")
    )


@never_cache
@require_http_methods(["GET", "POST"])
@person_required
def revoke(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """GET: what revoking means, in plain words. POST: ask for it (double clicks: one request)."""
    certificate = _own_certificate(person, pk)
    if request.method == "POST":
        key = _idempotency_key(request, person, "revoke")
        reason = request.POST.get("reason", "superseded")
        if key is None or reason not in USER_REASONS:
            messages.error(request, _("The form was incomplete; please try again."))
            return redirect("portal:revoke", pk=certificate.pk)
        try:
            services.request_revoke(
                certificate, actor=actor_for(person), idempotency_key=key, reason=reason
            )
        except LifecycleError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "Revocation requested. Its progress shows on this page under “Requests for "
                    "this certificate”, and you get an e-mail when it is done."
                ),
                extra_tags="progress",
            )
        return redirect("portal:certificate", pk=certificate.pk)
    actions = actions_for(person)
    context = {
        "person": person,
        "card": presenters.card_for(certificate, actions),
        "certificate": certificate,
        "idempotency": uuid.uuid4().hex,
        "reasons": USER_REASONS,
        "key_archived": certificate.key_archived,
        "can_issue_first": actions.can_issue and actions.decision.policy == "overlap",
    }
    return render(request, "portal/revoke_confirm.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@person_required
def issue(request: HttpRequest, person: Person) -> HttpResponse:
    """GET: what happens next. POST: ask for a certificate (a double click is one request)."""
    actions = actions_for(person)
    if request.method == "POST":
        key = _idempotency_key(request, person, "issue")
        if key is None:
            messages.error(request, _("The form was incomplete; please try again."))
            return redirect("portal:issue")
        try:
            services.request_issue(person, actor=actor_for(person), idempotency_key=key)
        except LifecycleError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "Issue requested. Its progress shows on this page under “My certificates”: "
                    "a Download button appears there when the certificate is ready, and you "
                    "get an e-mail."
                ),
                extra_tags="progress",
            )
        return redirect("portal:home")
    context = {
        "person": person,
        "actions": actions,
        "idempotency": uuid.uuid4().hex,
        # S/MIME: whether the key will be archived for recovery, said before issuance.
        "archiving": str(recovery.archiving_for(services.default_profile())),
    }
    return render(request, "portal/issue_confirm.html", context)


@require_POST
@person_required
def confirm_new(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """Overlap: the new certificate is installed on every device; the old one is revoked now."""
    certificate = _own_certificate(person, pk)
    try:
        services.confirm_new_certificate(certificate, actor=actor_for(person))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Thank you. Your previous certificate is being revoked."))
    return redirect("portal:home")


@never_cache
@person_required
def request_detail(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    item = get_object_or_404(presenters.requests_with_history(person), pk=pk)
    return render(request, "portal/request.html", {"person": person, "item": item})


def _own_pickup(person: Person, pk: int) -> Pickup:
    try:
        return services.pickup_for(person, pk)
    except LifecycleError as exc:
        raise Http404 from exc


@never_cache
@person_required
def download_page(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """The access PIN with a copy button, the PKCS#12 format choice and the next steps."""
    pickup = _own_pickup(person, pk)
    user_agent = request.headers.get("User-Agent", "")
    platform = presenters.platform_from_user_agent(
        user_agent, request.headers.get("Sec-CH-UA-Platform", "")
    )
    recommended = presenters.recommended_pkcs12(
        platform, user_agent, default=pickup.certificate.profile.pkcs12_default
    )
    context: dict[str, Any] = {
        "person": person,
        "pickup": pickup,
        "certificate": pickup.certificate,
        "card": presenters.card_for(pickup.certificate, actions_for(person)),
        "platform": platform,
        "platform_name": presenters.device_label(platform, user_agent, PLATFORMS),
        "recommended": recommended,
        "gone": pickup.expires_at <= timezone.now(),
        "pin": "",
        **device_setup.context_for(pickup, platform, user_agent),
    }
    if pickup.recovery_id:
        # A recovered S/MIME key reads old mail: no Wi-Fi setup, no "remove the old one".
        context.update(setup=None, previous_certificate=None)
    if not context["gone"]:
        # Past the window the PIN is neither shown nor recorded as revealed.
        try:
            context["pin"] = services.reveal_pin(pickup, actor=actor_for(person))
        except PickupGone:
            context["gone"] = True
    return _no_store(render(request, "portal/download.html", context))


@require_POST
@person_required
def download_file(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """The .p12 file: identical bytes on every download within the pickup window."""
    pickup = _own_pickup(person, pk)
    profile = request.POST.get("pkcs12_profile", "compatible")
    try:
        data = services.collect_pickup(pickup, actor=actor_for(person), pkcs12_profile=profile)
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
        return redirect("portal:download", pk=pickup.pk)
    name = f"{person.uid}-{pickup.certificate.serial_number.hex}-{profile}.p12"
    response = HttpResponse(data, content_type="application/x-pkcs12")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


@require_POST
@person_required
def issue_anew(request: HttpRequest, person: Person) -> HttpResponse:
    key = _idempotency_key(request, person, "anew")
    if key is None:
        messages.error(request, _("The form was incomplete; please try again."))
        return redirect("portal:home")
    try:
        services.issue_anew(
            person,
            actor=actor_for(person),
            reason="download window ended before the download",
            idempotency_key=key,
        )
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("A new certificate has been requested."))
    return redirect("portal:home")


@require_POST
@person_required
def download_profile(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    """A Wi-Fi profile of the format in the form: a counted download of the pickup."""
    pickup = _own_pickup(person, pk)
    try:
        built = build_profile(pickup, request.POST.get("format", ""), actor=actor_for(person))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
        return redirect("portal:download", pk=pickup.pk)
    response = HttpResponse(built.data, content_type=built.content_type)
    response["Content-Disposition"] = content_disposition_header(True, built.filename)
    return _no_store(response)
