"""Sending the outbox: claim a message under a lease, hand it to Django's mail backend once.

A refused or failed delivery goes back to pending with a growing delay; after the last
delay the message is marked failed for the helpdesk to see. A sent message is never
claimed again, so retries cannot make a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from jitsuin.audit.services import record
from jitsuin.notify.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# After the n-th failed attempt, wait RETRY_DELAYS[n-1]; after the last one, give up.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
SEND_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    message_id: int
    outcome: str  # sent | retry | gave_up | skipped
    error: str = ""


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state in (OutboxState.SENT, OutboxState.FAILED):
            return None
        if (
            message.state == OutboxState.SENDING
            and message.lease_until
            and message.lease_until > now
        ):
            return None
        if message.next_attempt_at > now:
            return None
        message.state = OutboxState.SENDING
        message.lease_until = now + SEND_LEASE
        message.attempts += 1
        message.save(update_fields=["state", "lease_until", "attempts"])
        return message


def deliver(message_id: int, *, now: datetime | None = None, connection: Any = None) -> Delivery:
    """Hand one due message to the mail backend; record sent, or schedule the next attempt."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return Delivery(message_id, "skipped")
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    email.encoding = "utf-8"
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # every backend error means: not accepted, try later
        error = f"{type(exc).__name__}: {exc}"[:2000]
        return _failed(message, error, now)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxState.SENT, sent_at=now, lease_until=None, last_error=""
        )
        record(
            "notify.sent",
            obj=message,
            data={"event": message.event, "to": message.to, "attempts": message.attempts},
            at=now,
        )
    return Delivery(message.pk, "sent")


def _failed(message: OutboxMessage, error: str, now: datetime) -> Delivery:
    gave_up = message.attempts > len(RETRY_DELAYS)
    with transaction.atomic():
        if gave_up:
            state, next_at = OutboxState.FAILED, now
        else:
            state, next_at = OutboxState.PENDING, now + RETRY_DELAYS[message.attempts - 1]
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=state, next_attempt_at=next_at, lease_until=None, last_error=error
        )
        if gave_up:
            record(
                "notify.gave_up",
                obj=message,
                data={"event": message.event, "to": message.to, "error": error},
                at=now,
            )
    log.warning(
        "e-mail %s to %s not accepted (attempt %s): %s",
        message.pk,
        message.to,
        message.attempts,
        error,
    )
    return Delivery(message.pk, "gave_up" if gave_up else "retry", error)


def due_ids(now: datetime, limit: int = 200) -> list[int]:
    pending = OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
    stale = OutboxMessage.objects.filter(state=OutboxState.SENDING, lease_until__lte=now)
    ids = list(pending.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    ids += list(stale.values_list("id", flat=True)[:limit])
    return ids


def send_due(now: datetime | None = None) -> list[Delivery]:
    """Send every message that is due, over one connection."""
    now = now or timezone.now()
    ids = due_ids(now)
    if not ids:
        return []
    connection = get_connection(fail_silently=False)
    results = []
    try:
        for message_id in ids:
            results.append(deliver(message_id, now=now, connection=connection))
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection must not hide the results
            log.debug("closing the mail connection failed", exc_info=True)
    return results
