"""Task rows written inside the caller's transaction: one INSERT for many tasks, committed (or
rolled back) with the change that needs them.

django-tasks-db's ``enqueue`` inserts one row per call in its own statement; the services used
to call it on commit, so a click cost three commits (its change, then each task row in
autocommit) and a crash between them left a change without its task until a sweep found it.
With the database backend on the transaction's own database the rows are simply part of the
transaction: the worker sees them when the change is committed, never before, never without it.
Any other backend (or database) keeps the old way: ``enqueue`` once the transaction commits.
Within ``batched()`` the rows of every task enqueued are held and inserted together at the
block's end (a new request's ``process_request`` and its e-mail's ``send_messages``: one INSERT).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from jitsuin.row_inserts import insert_rows
from jitsuin.transaction_batches import TransactionBatch

log = logging.getLogger(__name__)


@contextmanager
def batched() -> Iterator[None]:
    """Hold the task rows ``enqueue_in_transaction`` makes within the block (inside the
    caller's transaction) and insert them all in one statement at its end. A nested block
    joins the outer one; an exception discards them (their transaction is rolled back). A
    savepoint opened inside the block inserts its own rows at once (it may be rolled back
    alone)."""
    with _batch.block():
        yield


def _savepoints() -> int:
    return len(transaction.get_connection().savepoint_ids)


_batch: TransactionBatch[DBTaskResult] = TransactionBatch("jobs.batched", insert_rows)


def _same_database(backend: Any) -> bool:
    connection = transaction.get_connection()
    return (
        isinstance(backend, DatabaseBackend)
        and connection.in_atomic_block
        and DBTaskResult.objects.db == connection.alias
    )


def enqueue_in_transaction(task: Any, calls: list[tuple[Any, ...]]) -> None:
    """``task.enqueue(*args)`` for each ``args`` of ``calls``: rows inserted now, in one
    statement, when the task's backend is the database of the current transaction; else each
    enqueued on commit (a failure there is logged: the periodic sweeps find the work)."""
    if not calls:
        return
    backend = task_backends[task.backend]
    if not _same_database(backend):
        transaction.on_commit(lambda: _each(task, calls))
        return
    backend.validate_task(task)
    run_after = task.run_after or get_date_max()  # the model's pre_save signal, done here
    rows = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=run_after,
            backend_name=backend.alias,
        )
        for args in calls
    ]
    held = _batch.pending()
    if held is not None and _savepoints() == _batch.opened_at_savepoints():
        held.extend(rows)
    else:
        insert_rows(rows)


def _each(task: Any, calls: list[tuple[Any, ...]]) -> None:
    for args in calls:
        try:
            task.enqueue(*args)
        except Exception:
            log.exception("could not enqueue %s%s", task.module_path, args)
