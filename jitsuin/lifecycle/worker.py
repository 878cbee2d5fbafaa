"""Running task workers: `jitsuin worker`, and the in-process worker of `jitsuin serve`.

The worker is django-tasks-db's ``Worker`` (claiming a task row with ``SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite) plus the periodic scheduler, ticked
between tasks. Several workers may run: the scheduler elects one runner per job and
period, and requests are protected by their own lease.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from jitsuin.config import current, parse_duration
from jitsuin.lifecycle import periodic
from jitsuin.lifecycle.pipeline import default_worker_id, set_worker_id

logger = logging.getLogger("jitsuin.worker")


def scheduler_interval() -> float:
    raw = current().extra.get("JITSUIN_SCHEDULER_INTERVAL") or "5s"
    return parse_duration(raw, name="JITSUIN_SCHEDULER_INTERVAL").total_seconds()


class PipelineWorker(Worker):
    """django-tasks-db's worker loop with the periodic scheduler ticked between tasks."""

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

    def tick(self) -> None:
        if self.tick_every <= 0 or time.monotonic() < self._next_tick:
            return
        self._next_tick = time.monotonic() + self.tick_every
        try:
            periodic.run_due(timezone.now())
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                logger.exception("scheduler tick failed")
        except Exception:
            logger.exception("scheduler tick failed")

    def next_task(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
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

    def run(self) -> None:
        set_worker_id(self.worker_id)
        logger.info("worker %s started (queues %s)", self.worker_id, ",".join(self.queue_names))
        close_old_connections()
        while self.running:
            self.tick()
            task_result = self.next_task()
            if task_result is not None:
                self.run_task(task_result)
                # Back to back tasks keep their connection (reopening SQLite costs ~5 ms);
                # a connection a task broke is replaced.
                _close_broken_connections()
            elif self.batch:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and task_result is None:
                close_old_connections()  # as Django does between requests
                time.sleep(self.interval)


def _close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.errors_occurred or conn.needs_rollback:
            conn.close_if_unusable_or_obsolete()


_background: threading.Thread | None = None
_background_worker: PipelineWorker | None = None


def start_background_worker(*, interval: float = 0.5) -> threading.Thread | None:
    """Start a daemon thread that runs queued tasks and the periodic scheduler.

    The thread has its own database connection; on SQLite, WAL and IMMEDIATE
    transactions (see settings) let it write while the web threads read and write.
    """
    global _background, _background_worker
    if _background is not None and _background.is_alive():
        return _background
    worker = PipelineWorker(interval=interval, worker_id=f"serve-{default_worker_id()}")
    _background_worker = worker

    def run() -> None:
        try:
            worker.run()
        finally:
            close_old_connections()

    _background = threading.Thread(target=run, name="jitsuin-worker", daemon=True)
    _background.start()
    return _background


def stop_background_worker(timeout: float = 10.0) -> None:
    """Ask the in-process worker to stop after its current task, and wait for it."""
    global _background, _background_worker
    if _background_worker is not None:
        _background_worker.running = False
    if _background is not None:
        _background.join(timeout)
    _background, _background_worker = None, None
