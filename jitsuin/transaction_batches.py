"""Rows collected within a block of the caller's transaction and written together at its end.

The audit chain (``audit.services.batched``), the outbox (``notify.batching.batched``) and the
task rows (``jobs.enqueue.batched``) each let a batch of changes write their rows in one
statement instead of one per change. The rule they share lives here: the block runs inside
the transaction that makes the change; a nested block joins the outer one; an exception
discards what was collected (its transaction is rolled back with it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.db import transaction

Row = TypeVar("Row")


class TransactionBatch(Generic[Row]):
    """Collects rows in this thread while a ``block()`` is open; ``write`` gets them at its end."""

    def __init__(self, name: str, write: Callable[[list[Row]], None]) -> None:
        self.name = name
        self._write = write
        self._local = threading.local()

    def pending(self) -> list[Row] | None:
        """The rows of the block open in this thread (append to it), or None outside one."""
        return getattr(self._local, "rows", None)

    def opened_at_savepoints(self) -> int:
        """How many savepoints were open when the block began (a row made inside a later
        savepoint may be rolled back alone: its writer may not hold it for the block's end)."""
        return int(getattr(self._local, "savepoints", 0))

    @contextmanager
    def block(self) -> Iterator[None]:
        if self.pending() is not None:
            yield
            return
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            raise RuntimeError(f"{self.name} must run inside the transaction that makes the change")
        self._local.rows, self._local.savepoints = [], len(connection.savepoint_ids)
        try:
            yield
            rows: list[Row] = self._local.rows
        finally:
            self._local.rows = None
        if rows:
            self._write(rows)
