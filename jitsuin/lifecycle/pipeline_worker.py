"""The worker the commands run (`jitsuin worker`, `jitsuin serve`): the jobs layer's worker,
which knows the pipeline's requests: it names its leases, gives back the requests a cut-off
task held, and a batch run lasts while requests are workable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jitsuin.jobs.worker import Worker
from jitsuin.lifecycle.models import Request, RequestState
from jitsuin.lifecycle.pipeline import default_worker_id, set_worker_id
from jitsuin.lifecycle.tasks import advance_batch, enqueue_processing

# Queued requests claimed and recorded together (lifecycle.pipeline_batch): the tasks one
# worker takes at once.
PIPELINE_BATCH = 50

logger = logging.getLogger("jitsuin.worker")


class PipelineWorker(Worker):
    """The task worker of every queue, with the pipeline's requests in mind: a run of queued
    ``process_request`` tasks is claimed and done as one batch (``batch_size``)."""

    batch_handlers: ClassVar[dict[str, Callable[[list[Any]], list[Any]]]] = {
        "jitsuin.lifecycle.tasks.process_request": advance_batch,
    }

    def __init__(self, *, worker_id: str | None = None, **options: Any) -> None:
        options.setdefault("batch_size", PIPELINE_BATCH)
        super().__init__(worker_id=worker_id or default_worker_id(), **options)

    def batch_has_work(self) -> bool:
        """In a batch run: is a request still workable now? Re-enqueue it if its task is gone.

        A batch run used to end at the first empty poll; but a poll is empty also while
        SQLite is locked by another writer (next_task() answers None on a lock error), while
        the batch has caught up with a producer still queueing, or while a request's only
        task waits 2 s after finding its row locked ("busy", tasks.BUSY_RETRY). Only the
        requests decide; a request whose task was lost is enqueued again.
        """
        now = timezone.now()
        workable = Request.objects.filter(
            Q(state=RequestState.QUEUED) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
            | Q(state=RequestState.WAITING, not_before__lte=now)
            | Q(state=RequestState.PROCESSING)
            & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        )
        ids = list(workable.values_list("pk", flat=True)[:500])
        if not ids:
            return False
        if not DBTaskResult.objects.ready().filter(backend_name=self.backend_name).exists():
            for request_id in ids:
                enqueue_processing(request_id)
        return True

    def release_orphans(self) -> int:
        """Also give back the requests this worker held: the loop runs one task at a time, so
        between tasks no request can be in its hands. Their leases end now and their
        processing is enqueued again, without waiting for lease + sweep."""
        super().release_orphans()
        now = timezone.now()
        held = Request.objects.filter(state=RequestState.PROCESSING, lease_owner=self.worker_id)
        ids = list(held.values_list("pk", flat=True))
        if ids:
            held.filter(pk__in=ids).update(lease_until=now)
            for request_id in ids:
                enqueue_processing(request_id)
            logger.warning("worker %s: released %s request(s) it held", self.worker_id, len(ids))
        return len(ids)

    def run(self) -> None:
        set_worker_id(self.worker_id)  # the pipeline's leases carry the worker's name
        super().run()
