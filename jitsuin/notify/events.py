"""Which e-mail each lifecycle event makes, with its exactly-once key and its context.

Signal receivers (connected in ``NotifyConfig.ready``) run inside the sender's transaction
and only call ``enqueue``; the periodic scans find what is due at ``now`` and enqueue with
keys that make a second scan a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jitsuin.config import current
from jitsuin.lifecycle.models import (
    OPEN_STATES,
    Certificate,
    CertificateStatus,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.notify import hooks
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.services import enqueue
from jitsuin.pki.names import serial_hex
from jitsuin.workdays import add_business_days, business_days_between

REASON_LABELS = {
    "unspecified": _("unspecified"),
    "keyCompromise": _("key compromise"),
    "cACompromise": _("CA compromise"),
    "affiliationChanged": _("affiliation changed"),
    "superseded": _("superseded by a new certificate"),
    "cessationOfOperation": _("no longer used (cessation of operation)"),
    "certificateHold": _("certificate hold"),
    "privilegeWithdrawn": _("privilege withdrawn"),
    "aACompromise": _("AA compromise"),
}
EXPIRY_REMINDERS = (30, 7)
PICKUP_REMINDER = timedelta(days=2)
# The idempotency-key prefix of the revocation the pipeline asks for when a pickup expires.
PICKUP_EXPIRED_KEY = "pickup-expired:"


def stuck_business_days() -> int:
    return current().notify.stuck_business_days


def helpdesk_language() -> str:
    """``JITSUIN_HELPDESK_LANGUAGE``: ja, en, or ja+en (the default: both in one e-mail)."""
    return current().notify.helpdesk_language


def certificate_context(certificate: Certificate) -> dict[str, Any]:
    return {
        "certificate_id": certificate.pk,
        "subject": certificate.subject,
        "serial_hex": serial_hex(certificate.serial_int),
        "serial_dec": str(certificate.serial_int),
        "not_after": certificate.not_after,
    }


def request_received(request: Request) -> OutboxMessage:
    context: dict[str, Any] = {
        "request_id": request.pk,
        "kind": request.kind,
        "created_at": request.created_at,
    }
    if request.kind == RequestKind.REVOKE and request.target_id:
        context.update(certificate_context(request.target))
    return enqueue(
        "request_received",
        person=request.person,
        key=f"request-received:{request.pk}",
        context=context,
    )


def revocation_done(certificate: Certificate) -> OutboxMessage:
    reason = certificate.revocation_reason or "unspecified"
    context = (
        certificate_context(certificate)
        | {
            "revoked_at": certificate.revoked_at,
            "reason": reason,
            "reason_label": REASON_LABELS.get(reason, reason),
            "can_issue_next": reason != "superseded",
        }
        # When CRL-checking services see it (OCSP answers at once), from the revocation app.
        | hooks.crl_visibility(certificate)
    )
    return enqueue(
        "revocation_done",
        person=certificate.person,
        key=f"revoked:{certificate.pk}",
        context=context,
    )


def _pickup_of(certificate: Certificate) -> Pickup | None:
    # The pipeline made the pickup with this very certificate object: no query then.
    relation = Certificate.pickup.related
    if relation.is_cached(certificate):
        return relation.get_cached_value(certificate)  # None: known to have no pickup
    return Pickup.objects.filter(certificate=certificate).first()


def certificate_ready(certificate: Certificate) -> OutboxMessage:
    pickup = _pickup_of(certificate)
    context = certificate_context(certificate) | {
        "pickup_expires_at": pickup.expires_at if pickup else None,
    }
    return enqueue(
        "certificate_ready",
        person=certificate.person,
        key=f"ready:{certificate.pk}",
        context=context,
        # Sent once, right after the certificate row was made.
        likely_new=True,
    )


def pickup_expired(request: Request) -> OutboxMessage | None:
    """ "Your download window ended; ask again": replaces the revocation notice for that case."""
    certificate = request.certificate
    if certificate is None:
        return None
    pickup = _pickup_of(certificate)
    context = certificate_context(certificate) | {
        "request_id": request.pk,
        "pickup_expires_at": pickup.expires_at if pickup else request.state_changed_at,
    }
    return enqueue(
        "pickup_expired",
        person=request.person,
        key=f"pickup-expired:{request.pk}",
        context=context,
    )


def _revoked_because_pickup_expired(certificate: Certificate) -> bool:
    return Request.objects.filter(
        kind=RequestKind.REVOKE,
        target=certificate,
        idempotency_key__startswith=PICKUP_EXPIRED_KEY,
    ).exists()


def on_request_changed(
    sender: Any, *, request: Request, from_state: str, to_state: str = "", **kwargs: Any
) -> None:
    if not from_state:
        if request.kind == RequestKind.REVOKE and request.idempotency_key.startswith(
            PICKUP_EXPIRED_KEY
        ):
            return  # the user hears about it once, in the pickup-expired e-mail
        request_received(request)
    elif to_state == RequestState.EXPIRED and request.kind == RequestKind.ISSUE:
        pickup_expired(request)


def on_certificate_revoked(sender: Any, *, certificate: Certificate, **kwargs: Any) -> None:
    if _revoked_because_pickup_expired(certificate):
        return
    revocation_done(certificate)


def on_certificate_issued(sender: Any, *, certificate: Certificate, **kwargs: Any) -> None:
    certificate_ready(certificate)


def remind_expiring(now: datetime) -> int:
    """Reminders 30 and 7 days before a certificate expires, unless a successor exists."""
    made = 0
    for days in EXPIRY_REMINDERS:
        due = (
            Certificate.objects.filter(
                status=CertificateStatus.VALID,
                not_after__gt=now,
                not_after__lte=now + timedelta(days=days),
                superseded_by__isnull=True,
            )
            .exclude(person__active=False)
            .select_related("person")
        )
        for certificate in due.iterator():
            key = f"expiring-{days}:{certificate.pk}"
            # A certificate found first inside 7 days gets only the 7-day reminder.
            if days == 30 and certificate.not_after <= now + timedelta(days=7):
                continue
            if OutboxMessage.objects.filter(key=key).exists():
                continue
            with transaction.atomic():
                enqueue(
                    "certificate_expiring",
                    person=certificate.person,
                    key=key,
                    context=certificate_context(certificate) | {"days": days},
                    now=now,
                )
            made += 1
    return made


def remind_pickups(now: datetime) -> int:
    """One reminder when an uncollected pickup has less than two days left."""
    made = 0
    due = Pickup.objects.filter(
        state=PickupState.READY,
        download_count=0,
        expires_at__gt=now,
        expires_at__lte=now + PICKUP_REMINDER,
    ).select_related("certificate__person")
    for pickup in due.iterator():
        key = f"pickup-expiring:{pickup.pk}"
        if OutboxMessage.objects.filter(key=key).exists():
            continue
        certificate = pickup.certificate
        with transaction.atomic():
            enqueue(
                "pickup_expiring",
                person=certificate.person,
                key=key,
                context=certificate_context(certificate) | {"pickup_expires_at": pickup.expires_at},
                now=now,
            )
        made += 1
    return made


def stuck_requests(now: datetime, days: int | None = None) -> list[Request]:
    """Open requests older than ``days`` business days (Japanese calendar), oldest first."""
    days = days or stuck_business_days()
    # A cheap calendar-day bound first: N business days are at least N days.
    candidates = (
        Request.objects.filter(state__in=OPEN_STATES, created_at__lte=now - timedelta(days=days))
        .select_related("person", "profile")
        .order_by("created_at")
    )
    return [r for r in candidates if now >= add_business_days(r.created_at, days)]


def alert_stuck(now: datetime) -> int:
    """E-mail the helpdesk once per stuck request."""
    days = stuck_business_days()
    made = 0
    config = current()
    for request in stuck_requests(now, days):
        key = f"stuck:{request.pk}"
        if OutboxMessage.objects.filter(key=key).exists():
            continue
        context = {
            "request_id": request.pk,
            "uid": request.person.uid,
            "name": request.person.display_name("ja"),
            "name_en": request.person.display_name("en"),
            "kind_label": RequestKind(request.kind).label,
            "state_label": RequestState(request.state).label,
            "wait_reason": request.wait_reason,
            "created_at": request.created_at,
            "attempts": request.attempts,
            "last_error": request.last_error[:500],
            "business_days": business_days_between(request.created_at, now),
            "console_url": f"{config.public_url}/console/requests/{request.pk}/",
        }
        with transaction.atomic():
            enqueue(
                "stuck_request",
                to=config.helpdesk_email,
                key=key,
                context=context,
                lang=helpdesk_language(),
                now=now,
            )
        made += 1
    return made
