"""The hash chain: what each event's hash covers, and how to check a run of events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_hash(
    *,
    prev_hash: str,
    event_id: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
) -> str:
    payload = json.dumps(
        [prev_hash, event_id, at.isoformat(), actor, action, object_type, object_id, data],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    reason: str


def verify_chain(events: Iterable[Any], *, expected_count: int | None = None) -> ChainBreak | None:
    """The first broken link in ``events`` (in id order), or None when the chain holds."""
    previous = GENESIS
    seen = 0
    for event in events:
        seen += 1
        if event.prev_hash != previous:
            return ChainBreak(
                event.id, "previous hash does not match: an event before it was changed or deleted"
            )
        recomputed = event_hash(
            prev_hash=event.prev_hash,
            event_id=event.id,
            at=event.at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            data=event.data,
        )
        if recomputed != event.hash:
            return ChainBreak(event.id, "content does not match its hash: this event was changed")
        previous = event.hash
    if expected_count is not None and seen != expected_count:
        return ChainBreak(
            None,
            f"{expected_count} events were appended but {seen} remain: the newest were deleted",
        )
    return None
