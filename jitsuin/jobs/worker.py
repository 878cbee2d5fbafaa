"""The task worker of every queue: `jitsuin worker`, and the in-process worker of `jitsuin serve`.

The worker is django-tasks-db's ``Worker`` (claiming a task row with ``SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite) plus the periodic scheduler, ticked
between tasks. Several workers may run: the scheduler elects one runner per job and
period. What a worker holds beyond its task (the pipeline's request leases) is given back
by a subclass's hooks: ``release_orphans`` and ``batch_has_work``
(``jitsuin.lifecycle.pipeline_worker.PipelineWorker``, the worker the commands run).

A worker outlives its database: a restart, a failover or a dropped connection is an
outage it waits out with backoff (one log line when it starts, one when it ends), never
a reason to exit. Each worker writes a heartbeat row; /healthz and the sweep read it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import DatabaseError, IntegrityError, close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from jitsuin.config import current
from jitsuin.dbfaults import in_one_line
from jitsuin.jobs import periodic
from jitsuin.jobs.models import WorkerHeartbeat

logger = logging.getLogger("jitsuin.worker")

# A worker says it is alive this often; /healthz degrades when none has for
# lifecycle.health.NO_HEARTBEAT_AFTER, and the sweep reaps its tasks
# (lifecycle.housekeeping.reap_dead_workers).
HEARTBEAT_EVERY = 10.0
# Backoff while the database is away: 0.5 s, 1 s, 2 s ... at most this.
OUTAGE_BACKOFF_MAX = 5.0
# Errors that mean "the database is away for now" rather than a bug.
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def scheduler_interval() -> float:
    return current().pipeline.scheduler_interval.total_seconds()


def default_worker_id() -> str:
    """host:pid:thread, unique among the workers running."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


class Worker(DbWorker):
    """django-tasks-db's worker loop with the periodic scheduler ticked between tasks.

    A task whose function has a batch handler (``batch_handlers``: task path -> a function
    of the tasks' first arguments giving their return values in order) is claimed together
    with up to ``batch_size - 1`` more ready tasks of the same function, in the same claiming
    transaction, and run as one call; the tasks end together in one UPDATE."""

    batch_handlers: ClassVar[dict[str, Callable[[list[Any]], list[Any]]]] = {}

    def __init__(
        self,
        *,
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        tick_every: float | None = None,
        worker_id: str | None = None,
        max_tasks: int | None = None,
        batch: bool = False,
        backend_name: str = "default",
        batch_size: int = 1,
    ) -> None:
        super().__init__(
            queue_names=queue_names or ["*"],
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or default_worker_id(),
            excluded_queue_names=[],
        )
        self.tick_every = scheduler_interval() if tick_every is None else tick_every
        self._next_tick = 0.0
        self._next_heartbeat = 0.0
        self._started_at = timezone.now()
        self.outage_since: float | None = None
        self.batch_size = max(1, batch_size)
        self._in_task: list[object] = []  # the task rows being run (their ids)
        self._orphans_checked = False

    def tick(self) -> None:
        if self.tick_every <= 0 or time.monotonic() < self._next_tick:
            return
        self._next_tick = time.monotonic() + self.tick_every
        try:
            periodic.run_due(timezone.now())
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return
            if _database_away():
                raise  # an outage: the loop waits it out
            logger.exception("scheduler tick failed")
        except InterfaceError:
            raise
        except Exception:
            logger.exception("scheduler tick failed")

    def heartbeat(self) -> None:
        """Tell /healthz and the sweep that this worker is alive (every HEARTBEAT_EVERY s)."""
        if time.monotonic() < self._next_heartbeat:
            return
        now = timezone.now()
        try:
            if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=now):
                WorkerHeartbeat.objects.create(
                    worker_id=self.worker_id, started_at=self._started_at, seen_at=now
                )
        except IntegrityError:
            pass  # created meanwhile by a worker of the same name
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return
        self._next_heartbeat = time.monotonic() + HEARTBEAT_EVERY

    def sign_off(self) -> None:
        """A clean exit: drop the heartbeat row so nobody waits for this worker."""
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            pass

    def next_task(self) -> DBTaskResult | None:
        """Claim the next ready task."""
        tasks = self._ready_tasks()
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def _ready_tasks(self) -> Any:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        return tasks

    def next_tasks(self) -> list[DBTaskResult]:
        """Claim the next ready task, and with it (same function, when it has a batch
        handler) up to ``batch_size - 1`` more, in one locking read and one UPDATE."""
        if not self.batch_handlers or self.batch_size == 1:
            task_result = self.next_task()
            return [] if task_result is None else [task_result]
        tasks = self._ready_tasks()
        try:
            with exclusive_transaction(tasks.db):
                locked = list(tasks.select_for_update(skip_locked=True)[: self.batch_size])
                if not locked:
                    return []
                path = locked[0].task_path
                batch = [locked[0]]
                # A task run before (its worker died) is claimed alone: claim() keeps its history.
                if path in self.batch_handlers and not locked[0].worker_ids:
                    batch += [t for t in locked[1:] if t.task_path == path and not t.worker_ids]
                if len(batch) == 1:
                    batch[0].claim(self.worker_id)
                    return batch
                now = timezone.now()
                DBTaskResult.objects.filter(pk__in=[t.pk for t in batch]).update(
                    status=TaskResultStatus.RUNNING, started_at=now, worker_ids=[self.worker_id]
                )
                for task_result in batch:
                    task_result.status, task_result.started_at = TaskResultStatus.RUNNING, now
                    task_result.worker_ids = [self.worker_id]
                return batch
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return []
            raise

    def run_batch(self, batch: list[DBTaskResult]) -> None:
        """Run tasks of one function with a batch handler as one call; end them together."""
        handler = self.batch_handlers[batch[0].task_path]
        try:
            values = handler([t.args_kwargs["args"][0] for t in batch])
        except Exception as exc:  # as run_task: the tasks fail, the loop goes on
            logger.exception("batch of %s tasks %s failed", len(batch), batch[0].task_path)
            failed = "".join(traceback.format_exception(exc))
            path = f"{type(exc).__module__}.{type(exc).__qualname__}"
            for task_result in batch:
                task_result.status, task_result.return_value = TaskResultStatus.FAILED, None
                task_result.exception_class_path, task_result.traceback = path, failed
        else:
            for task_result, value in zip(batch, values, strict=True):
                task_result.status, task_result.return_value = TaskResultStatus.SUCCESSFUL, value
                task_result.exception_class_path = task_result.traceback = ""
        finished = timezone.now()
        ended: dict[str, list[DBTaskResult]] = {}  # one UPDATE per distinct outcome
        for task_result in batch:
            task_result.finished_at = finished
            ended.setdefault(repr(task_result.return_value), []).append(task_result)
        for same in ended.values():
            DBTaskResult.objects.filter(pk__in=[t.pk for t in same]).update(
                status=same[0].status,
                return_value=same[0].return_value,
                finished_at=finished,
                exception_class_path=same[0].exception_class_path,
                traceback=same[0].traceback,
            )
        self._run_tasks += len(batch)

    def batch_has_work(self) -> bool:
        """In a batch run, after an empty poll: is there work left? Here, no (a subclass
        that knows its work better says so: a poll is also empty while SQLite is locked)."""
        return False

    def release_orphans(self) -> int:
        """Give back what this worker held when a task was cut off (by a database outage,
        or, for a worker restarted under the same --worker-id, by its death): the loop runs
        one task at a time, so between tasks nothing can be in its hands. Here the task row
        that was cut off is marked failed; a subclass gives back the rest (the number)."""
        if self._in_task:
            DBTaskResult.objects.filter(
                pk__in=self._in_task, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="jitsuin.jobs.worker.Interrupted",
                traceback="interrupted by a database outage; the worker gave back what it held",
            )
            self._in_task = []
        return 0

    def _step(self) -> bool:
        """One poll; False when the worker should stop."""
        if not self._orphans_checked:
            self.release_orphans()
            self._orphans_checked = True
        self.heartbeat()
        self.tick()
        claimed = self.next_tasks()
        task_result = claimed[0] if claimed else None
        if task_result is not None:
            self._in_task = [t.pk for t in claimed]
            if len(claimed) > 1:
                self.run_batch(claimed)
            else:
                self.run_task(task_result)
            self._in_task = []
            # Back to back tasks keep their connection (reopening SQLite costs ~5 ms);
            # a connection a task broke is replaced.
            _close_broken_connections()
        elif self.batch:
            if not self.batch_has_work():
                logger.info(
                    "worker %s: batch done, no workable request left (%s tasks run)",
                    self.worker_id,
                    self._run_tasks,
                )
                return False
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            return False
        if self.running and task_result is None:
            close_old_connections()  # as Django does between requests
            time.sleep(self.interval)
        return True

    def _outage(self, exc: BaseException) -> None:
        """The database is away: one line per outage, then wait with backoff."""
        self._orphans_checked = False  # the next step first releases what this cut off
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            logger.warning(
                "worker %s: database unavailable (%s); waiting for it to come back",
                self.worker_id,
                in_one_line(exc),
            )
        _close_all_connections()
        elapsed = time.monotonic() - self.outage_since
        pause = min(OUTAGE_BACKOFF_MAX, 0.5 * 2 ** min(int(elapsed), 4))
        deadline = time.monotonic() + pause
        while self.running and time.monotonic() < deadline:
            time.sleep(0.1)

    def run(self) -> None:
        logger.info("worker %s started (queues %s)", self.worker_id, ",".join(self.queue_names))
        close_old_connections()
        try:
            while self.running:
                try:
                    if not self._step():
                        return
                except OUTAGE_ERRORS as exc:
                    self._outage(exc)
                    continue
                if self.outage_since is not None:
                    logger.warning(
                        "worker %s: database back after %.1f s",
                        self.worker_id,
                        time.monotonic() - self.outage_since,
                    )
                    self.outage_since = None
                    self._next_heartbeat = 0.0
        finally:
            self.sign_off()


def _database_away() -> bool:
    """After an OperationalError: does the default database still answer?"""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return False
    except DatabaseError:
        return True


def _close_all_connections() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None  # already gone: forget it, the next use reconnects
        conn.in_atomic_block = False
        conn.needs_rollback = False
        conn.savepoint_ids = []


def _close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.errors_occurred or conn.needs_rollback:
            conn.close_if_unusable_or_obsolete()


_background: threading.Thread | None = None
_background_worker: Worker | None = None
_background_stop = threading.Event()
# A crashed in-process worker is started again after this pause.
RESTART_AFTER = 2.0


def start_background_worker(
    worker_class: type[Worker], *, interval: float = 0.5
) -> threading.Thread | None:
    """Start a daemon thread in which a ``worker_class`` runs queued tasks and the scheduler.

    The thread has its own database connection; on SQLite, WAL and IMMEDIATE
    transactions (see settings) let it write while the web threads read and write.
    Should the worker loop end with an error, the thread logs it and starts a new one.
    """
    global _background, _background_worker
    if _background is not None and _background.is_alive():
        return _background
    _background_stop.clear()
    worker_id = f"serve-{default_worker_id()}"

    def supervise() -> None:
        global _background_worker
        while not _background_stop.is_set():
            worker = worker_class(interval=interval, worker_id=worker_id)
            _background_worker = worker
            try:
                worker.run()
            except Exception:
                logger.exception("in-process worker crashed; restarting in %s s", RESTART_AFTER)
            finally:
                close_old_connections()
            if _background_stop.wait(RESTART_AFTER):
                return

    _background = threading.Thread(target=supervise, name="jitsuin-worker", daemon=True)
    _background.start()
    return _background


def stop_background_worker(timeout: float = 10.0) -> None:
    """Ask the in-process worker to stop after its current task, and wait for it."""
    global _background, _background_worker
    _background_stop.set()
    if _background_worker is not None:
        _background_worker.running = False
    if _background is not None:
        _background.join(timeout)
    _background, _background_worker = None, None
