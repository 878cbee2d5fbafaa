"""Staff actions on the national service's lines: a refused application sent again.

The service refuses a line (a bad name, a DN it does not know); the connector then fails the
request. Once the cause is fixed (at the service or in the directory), ``retry_line`` puts the
line back in the queue for the next batch and the request back in the pipeline, whose next
submission finds the same line and waits for it (upki/connector.py).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.lifecycle.errors import InvalidState, NotAllowed, NotFound
from jitsuin.lifecycle.interventions import retry_request
from jitsuin.lifecycle.models import Request
from jitsuin.upki import lines
from jitsuin.upki.models import Line, LineState

REASON_MAX = 500


def retry_line(line_id: int, *, actor: str, reason: str, now: datetime | None = None) -> Line:
    """Queue the FAILED line ``line_id`` again and retry its request, in one transaction.

    The line leaves its batch (``batch`` and ``seq`` cleared, its error too); the audit
    event ``upki.line.retried`` keeps the batch, the line number and the old error. Refused
    with ``InvalidState`` unless the line is failed, ``NotAllowed`` without a reason.
    """
    if not reason:
        raise NotAllowed(_("Give a reason for retrying."), code="reason_required")
    now = now or timezone.now()
    with transaction.atomic():
        line = Line.objects.select_for_update().filter(pk=line_id).first()
        if line is None:
            raise NotFound(_("There is no such line."), code="not_found")
        if line.state != LineState.FAILED:
            raise InvalidState(
                _(
                    "Only a line the national service refused can be sent again "
                    "(this one is: %(state)s)."
                )
                % {"state": line.get_state_display()},
                code="line_not_failed",
            )
        request = Request.objects.filter(pk=line.request_id).first()
        if request is None:
            raise NotFound(_("The line's request no longer exists."), code="not_found")
        old = {
            "batch": line.batch_id,
            "seq": line.seq,
            "error_code": line.error_code,
            "error": line.error[:REASON_MAX],
        }
        lines.set_state(
            line,
            LineState.QUEUED,
            now,
            error="",
            error_code="",
            batch=None,
            seq=None,
            finished_at=None,
        )
        record(
            "upki.line.retried",
            actor=actor,
            obj=line,
            at=now,
            data={"request": line.request_id, "reason": reason[:REASON_MAX], **old},
        )
        retry_request(request, actor=actor, reason=reason, now=now)
    return line
