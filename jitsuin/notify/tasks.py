"""Background tasks of the notify app (queue ``notify``)."""

from __future__ import annotations

from django_tasks import task

from jitsuin.notify.sending import deliver


# Below the pipeline's tasks (priority 0): at a peak a worker first makes the certificates
# people wait for, then sends the e-mails about them (bench_campaign_peak).
@task(queue_name="notify", priority=-10)
def send_message(message_id: int) -> str:
    """Send one outbox message if it is still due; safe to run twice."""
    return deliver(message_id).outcome


@task(queue_name="notify")
def send_messages(message_ids: list[int]) -> list[str]:
    """Send the outbox messages of one batch (``notify.batching``); each as ``send_message``."""
    return [deliver(message_id).outcome for message_id in message_ids]
