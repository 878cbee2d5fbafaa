"""Writing audit events. Call ``record`` inside the transaction that makes the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from jitsuin.audit.chain import ChainBreak, event_hash, verify_chain
from jitsuin.audit.models import AuditChainHead, AuditEvent

SYSTEM = "system"


def actor_label(user: Any) -> str:
    """``user:alice`` for a signed-in user, ``system`` for jitsuin itself."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM
    return f"user:{user.get_username()}"


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(
    action: str,
    *,
    actor: str = SYSTEM,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction that makes the change")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    object_type, object_id = _object_ref(obj)
    event = AuditEvent(
        at=at or timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        prev_hash=head.last_hash,
        hash="pending",
    )
    # The id is part of the hash, so the row is inserted first and sealed at once.
    event.hash = f"pending-{head.count + 1}-{head.last_hash[:16]}"
    event.save()
    event.refresh_from_db(fields=["at", "data"])
    event.hash = event_hash(
        prev_hash=event.prev_hash,
        event_id=event.pk,
        at=event.at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
    )
    AuditEvent.objects.filter(pk=event.pk).update(hash=event.hash)
    head.last_hash = event.hash
    head.count += 1
    head.save(update_fields=["last_hash", "count"])
    return event


def verify() -> ChainBreak | None:
    """Walk the whole log; the first broken link, or None."""
    head = AuditChainHead.objects.filter(pk=1).first()
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    broken = verify_chain(events, expected_count=head.count if head else 0)
    if broken is None and head is not None:
        last = AuditEvent.objects.order_by("-id").first()
        if last is not None and last.hash != head.last_hash:
            return ChainBreak(last.pk, "the chain head does not match the newest event")
    return broken
