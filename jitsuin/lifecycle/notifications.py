"""Which e-mail each lifecycle event makes, with its exactly-once key and its context.

The lifecycle services call these by name inside their transaction (they only call
``enqueue``); the periodic scans find what is due at ``now`` and enqueue with keys that make a
second scan a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from jitsuin.authorities.publishing.crl import crl_visibility
from jitsuin.config import current
from jitsuin.lifecycle.models import (
    Certificate,
    KeyRecovery,
    Leaver,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.queries import stuck_business_days, stuck_requests
from jitsuin.lifecycle.reasons import reason_label
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.public_url import mail_url
from jitsuin.notify.services import enqueue, helpdesk_language
from jitsuin.workdays import business_days_between

EXPIRY_REMINDERS = (30, 7)
PICKUP_REMINDER = timedelta(days=2)


def certificate_context(certificate: Certificate) -> dict[str, Any]:
    return {
        "certificate_id": certificate.pk,
        "subject": certificate.subject,
        "serial_hex": certificate.serial_number.hex,
        "serial_dec": certificate.serial_number.decimal,
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
        likely_new=True,  # called once, right after the request row was made
    )


def request_cancelled(request: Request, reason: str) -> OutboxMessage:
    """ "The helpdesk cancelled your request", with the reason staff gave."""
    context: dict[str, Any] = {
        "request_id": request.pk,
        "kind": request.kind,
        "created_at": request.created_at,
        "reason": reason,
    }
    if request.kind == RequestKind.REVOKE and request.target_id:
        context.update(certificate_context(request.target))
    return enqueue(
        "request_cancelled",
        person=request.person,
        key=f"request-cancelled:{request.pk}",
        context=context,
    )


def revocation_done(certificate: Certificate) -> OutboxMessage:
    reason = certificate.revocation_reason or "unspecified"
    context = (
        certificate_context(certificate)
        | {
            "revoked_at": certificate.revoked_at,
            "reason": reason,
            "reason_label": reason_label(reason),
            "can_issue_next": reason != "superseded",
        }
        # When CRL-checking services see it (OCSP answers at once).
        | crl_visibility(certificate)
    )
    return enqueue(
        "revocation_done",
        person=certificate.person,
        key=f"revoked:{certificate.pk}",
        context=context,
    )


def _pickup_of(certificate: Certificate) -> Pickup | None:
    """The pickup of the certificate's issuance (a key recovery's pickups are not it)."""
    return Pickup.objects.filter(certificate=certificate, recovery=None).first()


_LOOK_UP: Any = object()


def certificate_ready(
    certificate: Certificate, *, pickup: Pickup | None = _LOOK_UP
) -> OutboxMessage:
    """ "Your certificate is ready"; ``pickup``: its pickup (None: none), when the caller has
    just made it."""
    if pickup is _LOOK_UP:
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


def remind_expiring(now: datetime) -> int:
    """Reminders 30 and 7 days before a certificate expires, unless a successor exists."""
    made = 0
    for days in EXPIRY_REMINDERS:
        due = (
            Certificate.objects.live(now=now)
            .expiring_before(now + timedelta(days=days))
            .filter(superseded_by__isnull=True)
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
        recovery=None,
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
            "console_url": f"{mail_url()}/console/requests/{request.pk}/",
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


def leaver_done(leaver: Leaver, *, serials: list[str], now: datetime) -> None:
    """One e-mail to the person who left and one to the helpdesk, each once per leaver."""
    person = leaver.person
    context: dict[str, Any] = {
        "uid": person.uid,
        "name_ja": person.display_name("ja"),
        "name_en": person.display_name("en"),
        "serials": serials,
        "deactivated_at": leaver.deactivated_at,
        "finished_at": now,
        "reason": leaver.reason,
    }
    enqueue(
        "leaver_done", person=person, key=f"leaver:{leaver.pk}:person", context=context, now=now
    )
    enqueue(
        "leaver_helpdesk",
        to=current().helpdesk_email,
        key=f"leaver:{leaver.pk}:helpdesk",
        context=context | {"console_url": f"{mail_url()}/console/people/{person.pk}/"},
        lang=helpdesk_language(),
        now=now,
    )


def key_recovered(recovery: KeyRecovery, pickup: Pickup) -> OutboxMessage:
    """The owner is told whenever one of their archived keys is recovered: by whom and why."""
    certificate = recovery.archive.certificate
    context = certificate_context(certificate) | {
        "recovery_id": recovery.pk,
        "for_owner": recovery.for_owner,
        "requested_by": recovery.requested_by,
        "first_approver": recovery.first_approver,
        "second_approver": recovery.second_approver,
        "reason": recovery.reason,
        "recovered_at": recovery.processed_at,
        "expires_at": pickup.expires_at,
    }
    return enqueue(
        "key_recovered",
        person=certificate.person,
        key=f"key-recovered:{recovery.pk}",
        context=context,
        likely_new=True,
    )
