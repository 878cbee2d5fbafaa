"""Audit checkpoints on a schedule, e-mailed to the audit address (``JITSUIN_AUDIT_EMAIL``).

The chain and its checkpoints are ``jitsuin.audit``'s; mailing them is notify's, so that audit
stays below notify (notify records what it sends in the audit log). The job ``audit.checkpoint``
(``jitsuin/jobs/schedule.py``) looks every minute whether one is due (``checkpoints.due``);
``jitsuin audit checkpoint`` writes one on demand.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from jitsuin.audit import checkpoints
from jitsuin.config import current
from jitsuin.notify.services import BILINGUAL, enqueue

log = logging.getLogger(__name__)


def checkpoint(now: datetime) -> checkpoints.Checkpoint | None:
    """Write a checkpoint of the head now; e-mail it when ``JITSUIN_AUDIT_EMAIL`` is set.

    Raises ``CheckpointRefused`` when the chain is already broken since the last one."""
    written = checkpoints.write(now)
    address = current().audit_email
    if written is not None and address:
        with transaction.atomic():
            enqueue(
                "audit_checkpoint",
                to=address,
                key=f"audit-checkpoint:{written.seq}:{written.at:%Y%m%dT%H%M%SZ}",
                context={
                    "seq": written.seq,
                    "hash": written.hash,
                    "at": f"{written.at:%Y-%m-%d %H:%M:%S}",
                    "line": written.line,
                },
                lang=BILINGUAL,
                now=now,
            )
    return written


def tick(now: datetime) -> None:
    """The periodic job: a checkpoint when one is due."""
    if not checkpoints.due(now):
        return
    try:
        checkpoint(now)
    except checkpoints.CheckpointRefused as exc:
        # Loud, and the job's last_error shows it; `jitsuin audit verify` names the event.
        log.error("audit checkpoint refused: %s", exc)
        raise
