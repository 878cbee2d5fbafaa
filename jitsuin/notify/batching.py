"""Outbox batches: within ``batched()``, ``enqueue`` renders each e-mail at once but the block's
end inserts them all in one statement and queues one send task for them (the pipeline's
batches of issued certificates, a batch of new requests): the send task's row is written in
the same transaction (jobs.enqueue). Exactly once as before: a key already in the outbox is
skipped by the insert itself (ON CONFLICT (key) DO NOTHING)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction

from jitsuin.audit.services import SYSTEM, record
from jitsuin.jobs.enqueue import enqueue_in_transaction
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.tasks import send_messages
from jitsuin.row_inserts import db_value, rows_sql
from jitsuin.transaction_batches import TransactionBatch


def pending() -> list[OutboxMessage] | None:
    """The messages of the batch open in this thread, or None outside ``batched()``."""
    return _batch.pending()


@contextmanager
def batched() -> Iterator[None]:
    """Collect ``enqueue``'s messages (inside the caller's transaction) and insert them at
    the block's end. A nested block joins the outer one; an exception discards them."""
    with _batch.block():
        yield


def _flush(messages: list[OutboxMessage]) -> None:
    connection = transaction.get_connection()
    new = _insert_many(messages, connection)
    for message in new:
        record(
            "notify.enqueued",
            actor=SYSTEM,
            obj=message,
            data={
                "event": message.event,
                "key": message.key,
                "to": message.to,
                "language": message.language,
            },
            at=message.created_at,
        )
    ids = [message.pk for message in new]
    if ids:  # its row committed with the messages (jobs.enqueue)
        enqueue_in_transaction(send_messages, [(ids,)])


_batch: TransactionBatch[OutboxMessage] = TransactionBatch("notify.batched", _flush)


def _insert_many(messages: list[OutboxMessage], connection: Any) -> list[OutboxMessage]:
    """Insert ``messages``; the ones that were new (a taken key is skipped), with their ids."""
    if connection.vendor not in ("sqlite", "postgresql"):
        new = []
        for message in messages:
            try:
                with transaction.atomic():
                    message.save(force_insert=True)
                new.append(message)
            except IntegrityError:
                pass
        return new
    meta = OutboxMessage._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    rows = [[db_value(f, f.pre_save(message, True), connection) for f in fields]
            for message in messages]  # fmt: skip
    source, params = rows_sql(connection, fields, rows)
    # Only quoted model names and column types are formatted in; every value is a parameter.
    sql = "INSERT INTO {} ({}) {} ON CONFLICT ({}) DO NOTHING RETURNING {}, {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        source,
        quote(meta.get_field("key").column),
        quote(meta.pk.column),
        quote(meta.get_field("key").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((key, pk) for pk, key in cursor.fetchall())
    new = []
    for message in messages:
        if message.key in ids:
            message.pk = ids[message.key]
            message._state.adding = False
            message._state.db = connection.alias
            new.append(message)
    return new
