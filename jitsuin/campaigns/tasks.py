"""Bulk campaign work as tasks on the ``bulk`` queue: one task per chunk of mail.

Each chunk enqueues the next once it has committed; a chunk that runs twice does nothing
(``mailing.send_chunk`` checks the task's cursor under its row lock).
"""

from __future__ import annotations

from django_tasks import task

from jitsuin.campaigns import mailing

BULK_QUEUE = "bulk"


@task(queue_name=BULK_QUEUE)
def send_chunk(campaign_task_id: int, after: int) -> int:
    """Put the next chunk of a campaign task's mail in the outbox; returns the new cursor."""
    try:
        cursor = mailing.send_chunk(campaign_task_id, after)
    except Exception as exc:
        mailing.mark_failed(campaign_task_id, exc)
        raise
    if cursor is not None:
        enqueue_chunk(campaign_task_id, after=cursor)
    return cursor or 0


def enqueue_chunk(campaign_task_id: int, *, after: int = 0) -> None:
    """Queue the chunk after ``after`` (called on commit by the services)."""
    send_chunk.enqueue(campaign_task_id, after)
