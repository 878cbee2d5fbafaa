"""What the helpdesk sees before and after resending an e-mail: the body as it went out,
whether the certificate it announces was already downloaded, and the earlier resends
(who, when, why), read from the audit log where ``notify.resend`` wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Pickup
from jitsuin.notify.models import OutboxMessage

RESENT = "notify.resent"
MESSAGE_TYPE = OutboxMessage._meta.label_lower


@dataclass(frozen=True)
class ResendMark:
    """One resend: the copy, who asked for it, when and why."""

    copy_id: int
    actor: str
    at: datetime
    reason: str


def marks(copies: Iterable[int]) -> dict[int, ResendMark]:
    """The audit entry of each resent copy, by the copy's id (one query)."""
    ids = [str(pk) for pk in copies]
    if not ids:
        return {}
    events = AuditEvent.objects.filter(
        action=RESENT, object_type=MESSAGE_TYPE, object_id__in=ids
    ).only("object_id", "actor", "at", "data")
    return {
        int(e.object_id): ResendMark(
            int(e.object_id), e.actor, e.at, str((e.data or {}).get("reason", ""))
        )
        for e in events
    }


def earlier_resends(message: OutboxMessage) -> list[ResendMark]:
    """Every resend of this e-mail (or of the one it is itself a copy of), oldest first."""
    original = message.resend_of_id or message.pk
    copies = OutboxMessage.objects.filter(resend_of_id=original).values_list("pk", flat=True)
    found = marks(copies)
    return sorted(found.values(), key=lambda m: m.at)


def collected_pickup(message: OutboxMessage) -> Pickup | None:
    """The pickup a "your certificate is ready" e-mail points to, when it was downloaded."""
    kind, _, ident = message.key.partition(":")
    if kind != "ready" or not ident.split(":", 1)[0].isdigit():
        return None
    pickup = Pickup.objects.filter(
        certificate_id=int(ident.split(":", 1)[0]), recovery=None
    ).first()
    if pickup is None or not pickup.download_count:
        return None
    return pickup
