"""Writing audit events. Call ``record`` inside the transaction that makes the change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from jitsuin.audit.actors import Actor
from jitsuin.audit.chain import (
    KEYED_MARKER,
    ChainBreak,
    event_fields,
    event_hash,
    verify_chain,
)
from jitsuin.audit.keys import chain_key
from jitsuin.audit.models import AuditChainHead, AuditEvent
from jitsuin.row_inserts import db_value, rows_sql
from jitsuin.transaction_batches import TransactionBatch

SYSTEM = str(Actor.system())


def actor_label(user: Any) -> str:
    """``user:alice`` for a signed-in user, ``system`` for jitsuin itself.

    Console pages name staff ``staff:<username>`` instead (``console.access.staff_actor``).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM
    return str(Actor.user(user.get_username()))


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(
    action: str,
    *,
    actor: Actor | str = SYSTEM,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction.

    ``actor`` is an :class:`Actor`; a string in its stored form is accepted while callers move.
    """
    actor = str(actor)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction that makes the change")
    object_type, object_id = _object_ref(obj)
    at = at or timezone.now()
    data = data or {}
    pending = _batch.pending()
    if pending is not None and timezone.is_aware(at):
        event = AuditEvent(
            at=at, actor=actor, action=action, object_type=object_type, object_id=object_id,
            data=data, prev_hash="", hash="",
        )  # fmt: skip
        pending.append(event)
        return event
    fast = connection.vendor in _APPENDERS and timezone.is_aware(at)
    if fast and (connection.vendor != "postgresql" or _round_trips(data)):
        return _APPENDERS[connection.vendor](
            connection,
            at=at.astimezone(UTC),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            # What the column gives back (verify() hashes that): keys become strings.
            data=json.loads(json.dumps(data)),
        )
    return _record_portable(action, actor, object_type, object_id, data, at)


def _record_portable(
    action: str, actor: str, object_type: str, object_id: str, data: dict[str, Any], at: datetime
) -> AuditEvent:
    """Any database: insert, read back what was stored, seal (about five queries)."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
        prev_hash=head.last_hash,
        hash="pending",
    )
    # The id is part of the hash, so the row is inserted first and sealed at once.
    event.hash = f"pending-{head.count + 1}-{head.last_hash[:16]}"
    event.save()
    event.refresh_from_db(fields=["at", "data"])
    event.hash = _seal(event)
    AuditEvent.objects.filter(pk=event.pk).update(hash=event.hash)
    head.last_hash = event.hash
    head.count += 1
    head.save(update_fields=["last_hash", "count"])
    return event


# Fast appends: the head row's lock (PostgreSQL) or the write transaction (SQLite, whose
# transactions are IMMEDIATE) serialises appends; the next id is taken under it, so the
# hash is computed before the single INSERT, from the values the columns will give back.
# The chain format and verify() are the same as for the portable path.


def _round_trips(value: Any) -> bool:
    """True when ``value`` reads back from PostgreSQL's jsonb exactly as ``json`` rewrites it.

    SQLite stores the JSON text (always true there); jsonb may rewrite numbers (``1e+20``
    comes back as an integer), so data with floats takes the portable path on PostgreSQL."""
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_round_trips(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_round_trips(v) for v in value)
    return True


def _seal(event: AuditEvent) -> str:
    # Every append path (portable, PostgreSQL, SQLite) seals here: always keyed.
    return event_hash(key=chain_key(), **event_fields(event))


_EVENT_COLUMNS = (
    "id", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash"
)  # fmt: skip
# Fixed statements (the tables are audit_auditchainhead and audit_auditevent).
_INSERT_EVENT = (
    'INSERT INTO "audit_auditevent" ("id", "at", "actor", "action", "object_type", '
    '"object_id", "data", "prev_hash", "hash") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)'
)
# RETURNING runs after the row is locked and updated, so ids are taken in chain order.
_PG_TAKE_HEAD = (
    'UPDATE "audit_auditchainhead" SET "count" = "count" + 1 WHERE "id" = 1 '
    "RETURNING \"last_hash\", nextval(pg_get_serial_sequence('audit_auditevent', 'id'))"
)
_PG_APPEND = (
    'WITH appended AS (INSERT INTO "audit_auditevent" ("id", "at", "actor", "action", '
    '"object_type", "object_id", "data", "prev_hash", "hash") '
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)) "
    'UPDATE "audit_auditchainhead" SET "last_hash" = %s WHERE "id" = 1'
)
# k events: the head moves by k and k ids are drawn under its lock, in order.
_PG_TAKE_HEAD_MANY = (
    'UPDATE "audit_auditchainhead" SET "count" = "count" + %s WHERE "id" = 1 '
    'RETURNING "last_hash", ARRAY(SELECT nextval(pg_get_serial_sequence('
    "'audit_auditevent', 'id')) FROM generate_series(1, %s))"
)
_SQLITE_MOVE_HEAD_MANY = (
    'UPDATE "audit_auditchainhead" SET "last_hash" = %s, "count" = "count" + %s WHERE "id" = 1'
)
_SQLITE_HEAD = (
    'SELECT "last_hash", COALESCE('
    "(SELECT seq FROM sqlite_sequence WHERE name = 'audit_auditevent'), "
    '(SELECT MAX("id") FROM "audit_auditevent"), 0) '
    'FROM "audit_auditchainhead" WHERE "id" = 1'
)
_SQLITE_MOVE_HEAD = (
    'UPDATE "audit_auditchainhead" SET "last_hash" = %s, "count" = "count" + 1 WHERE "id" = 1'
)


def _event(connection: Any, event_id: int, prev_hash: str, **fields: Any) -> AuditEvent:
    event = AuditEvent(id=event_id, prev_hash=prev_hash, hash="", **fields)
    event.hash = _seal(event)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _params(connection: Any, event: AuditEvent) -> list[Any]:
    return [db_value(field, getattr(event, field.attname), connection) for field in _event_fields()]


@cache
def _event_fields() -> list[models.Field]:
    return [AuditEvent._meta.get_field(name) for name in _EVENT_COLUMNS]


def _take_head(cursor: Any, sql: str) -> tuple[str, int]:
    for _attempt in range(2):
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is not None:
            return row[0], row[1]
        AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    raise RuntimeError("the audit chain head row is missing")


def _append_postgresql(connection: Any, **fields: Any) -> AuditEvent:
    """Two round trips: the next id under the head's row lock, then the event and the new
    head in one statement."""
    with connection.cursor() as cursor:
        last_hash, event_id = _take_head(cursor, _PG_TAKE_HEAD)
        event = _event(connection, event_id, last_hash, **fields)
        cursor.execute(_PG_APPEND, [*_params(connection, event), event.hash])
    return event


def _append_sqlite(connection: Any, **fields: Any) -> AuditEvent:
    """Three statements, no re-read: the write transaction already excludes other writers."""
    with connection.cursor() as cursor:
        last_hash, last_id = _take_head(cursor, _SQLITE_HEAD)
        event = _event(connection, last_id + 1, last_hash, **fields)
        cursor.execute(_INSERT_EVENT, _params(connection, event))
        cursor.execute(_SQLITE_MOVE_HEAD, [event.hash])
    return event


_APPENDERS = {"postgresql": _append_postgresql, "sqlite": _append_sqlite}


@contextmanager
def batched() -> Iterator[None]:
    """Within the block (inside the caller's transaction), ``record`` collects its events and
    the block's end appends them all at once: one head read, one multi-row INSERT, one head
    update (the pipeline's batches). Same chain, same hashes, same order as one by one. A
    nested block joins the outer one; an exception discards the events (the transaction they
    belong to is rolled back with it)."""
    with _batch.block():
        yield


def _append_many(events: list[AuditEvent]) -> None:
    connection = transaction.get_connection()
    for event in events:
        event.at = event.at.astimezone(UTC)
        event.data = json.loads(json.dumps(event.data))  # what the column gives back
    fast = connection.vendor in _APPENDERS
    if connection.vendor == "postgresql":
        fast = all(_round_trips(event.data) for event in events)
    if not fast:
        for event in events:
            stored = _record_portable(
                event.action, event.actor, event.object_type, event.object_id, event.data, event.at
            )
            event.pk, event.prev_hash, event.hash = stored.pk, stored.prev_hash, stored.hash
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_TAKE_HEAD_MANY, [len(events), len(events)])
            row = cursor.fetchone()
            if row is None:  # no head row yet: make it, then take it
                AuditChainHead.objects.select_for_update().get_or_create(pk=1)
                cursor.execute(_PG_TAKE_HEAD_MANY, [len(events), len(events)])
                row = cursor.fetchone()
            last_hash, ids = row[0], sorted(row[1])
        else:
            last_hash, last_id = _take_head(cursor, _SQLITE_HEAD)
            ids = list(range(last_id + 1, last_id + 1 + len(events)))
        for event, event_id in zip(events, ids, strict=True):
            event.id, event.prev_hash = event_id, last_hash
            event.hash = last_hash = _seal(event)
            event._state.adding = False
            event._state.db = connection.alias
        rows = [_params(connection, event) for event in events]
        source, params = rows_sql(connection, _event_fields(), rows)
        insert = _INSERT_EVENT.split(" VALUES ")[0] + " " + source
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH appended AS ({insert}) "  # noqa: S608 (placeholders only)
                'UPDATE "audit_auditchainhead" SET "last_hash" = %s WHERE "id" = 1',
                [*params, last_hash],
            )
        else:
            cursor.execute(insert, params)
            cursor.execute(_SQLITE_MOVE_HEAD_MANY, [last_hash, len(events)])


_batch: TransactionBatch[AuditEvent] = TransactionBatch("audit.batched", _append_many)


def keyed_from() -> int | None:
    """The id of the first ``audit.chain_keyed`` event: events before it are legacy SHA-256."""
    return (
        AuditEvent.objects.filter(action=KEYED_MARKER).order_by("id").values_list("id", flat=True)
    ).first()


def mark_chain_keyed(*, at: datetime | None = None) -> AuditEvent | None:
    """Append the ``audit.chain_keyed`` marker when the log holds legacy (unkeyed) events.

    Run once when an install that already has events switches to the keyed chain (the
    migration ``audit.0002_chain_keyed`` does the same); a no-op on an empty log or one
    that is already marked. Returns the marker it wrote, if any."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        if head.count == 0 or keyed_from() is not None:
            return None
        return record(
            KEYED_MARKER,
            data={"legacy_events": head.count, "legacy_head": head.last_hash},
            at=at,
        )


def verify() -> ChainBreak | None:
    """Walk the whole log; the first broken link, or None."""
    head = AuditChainHead.objects.filter(pk=1).first()
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    broken = verify_chain(
        events,
        key=chain_key(),
        keyed_from=keyed_from(),
        expected_count=head.count if head else 0,
    )
    if broken is None and head is not None:
        last = AuditEvent.objects.order_by("-id").first()
        if last is not None and last.hash != head.last_hash:
            return ChainBreak(
                last.pk,
                "the chain head does not match the newest event",
                at=last.at,
                action=last.action,
            )
    return broken
