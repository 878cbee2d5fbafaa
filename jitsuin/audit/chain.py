"""The hash chain: what each event's hash covers, and how to check a run of events.

Each event's hash is an HMAC-SHA256, under a key the database does not hold
(``jitsuin.audit.keys.chain_key``), over the previous event's hash and the event's fields.
Whoever can write to the database can still delete or change rows, but cannot compute
hashes that verify.

Events written before jitsuin keyed its chain carry plain SHA-256 hashes ("legacy"). The
first ``audit.chain_keyed`` event marks the switch: events before it verify as legacy,
the marker and every event after it must be keyed. The marker's own HMAC covers the last
legacy hash, so the legacy prefix cannot be changed either. A chain without a marker has
no legacy events at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

GENESIS = "0" * 64
KEYED_MARKER = "audit.chain_keyed"


class EventFields(TypedDict):
    """What an event's hash covers, besides the key."""

    prev_hash: str
    event_id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    data: Any


def _payload(f: EventFields) -> bytes:
    return json.dumps(
        [
            f["prev_hash"],
            f["event_id"],
            f["at"].isoformat(),
            f["actor"],
            f["action"],
            f["object_type"],
            f["object_id"],
            f["data"],
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()


def event_hash(*, key: bytes, **fields: Unpack[EventFields]) -> str:
    """HMAC-SHA256 under ``key`` of the event's fields and the previous event's hash (hex)."""
    return hmac.new(key, _payload(fields), hashlib.sha256).hexdigest()


def legacy_event_hash(**fields: Unpack[EventFields]) -> str:
    """The unkeyed SHA-256 of events written before the chain was keyed (verification only)."""
    return hashlib.sha256(_payload(fields)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: the event (id, time, action) where the chain stops holding."""

    event_id: int | None
    reason: str
    at: datetime | None = None
    action: str = ""

    def describe(self) -> str:
        """One line: ``event 12: <reason> (at <time>, action <action>)``."""
        if self.event_id is None:
            return f"end of the log: {self.reason}"
        where = f"event {self.event_id}: {self.reason}"
        if self.at is not None:
            where += f" (at {self.at.isoformat()}, action {self.action})"
        return where


def event_fields(event: Any) -> EventFields:
    """The hashed fields of a stored event (an ``AuditEvent`` or a row like it)."""
    return {
        "prev_hash": event.prev_hash,
        "event_id": event.id,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def _break(event: Any, reason: str) -> ChainBreak:
    return ChainBreak(event.id, reason, at=event.at, action=event.action)


def verify_chain(
    events: Iterable[Any],
    *,
    key: bytes,
    keyed_from: int | None = None,
    previous: str = GENESIS,
    expected_count: int | None = None,
) -> ChainBreak | None:
    """The first broken link in ``events`` (in id order), or None when the chain holds.

    Events with an id below ``keyed_from`` (the first ``audit.chain_keyed`` marker) are
    legacy SHA-256; every other event must carry an HMAC under ``key``. ``previous`` is
    the hash before the first event (GENESIS for the whole log, or a checkpointed hash).
    """
    seen = 0
    for event in events:
        seen += 1
        if event.prev_hash != previous:
            return _break(
                event, "previous hash does not match: an event before it was changed or deleted"
            )
        legacy = keyed_from is not None and event.id < keyed_from
        if legacy:
            recomputed = legacy_event_hash(**event_fields(event))
        else:
            recomputed = event_hash(key=key, **event_fields(event))
        if not hmac.compare_digest(recomputed, event.hash):
            reason = "content does not match its hash: this event was changed"
            if event.id == keyed_from:
                reason = (
                    "the switch to the keyed chain does not match its hash: this marker, "
                    "or a legacy event before it, was changed or deleted"
                )
            elif not legacy:
                reason += " (or its hash was computed without the audit key)"
            return _break(event, reason)
        previous = event.hash
    if expected_count is not None and seen != expected_count:
        return ChainBreak(
            None,
            f"{expected_count} events were appended but {seen} remain: the newest were deleted",
        )
    return None
