"""The stale watch of relying parties: one e-mail to the helpdesk per problem, once.

Run by publishing's periodic job. A problem is keyed by what it is about (a host silent since
a given report, behind a given CRL number, ...); the same problem is never mailed twice, a new
one (the next CRL it misses) is. Each alert is audited.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.authorities.publishing import relying_parties
from jitsuin.config import current
from jitsuin.notify import services as notify
from jitsuin.notify.public_url import mail_url
from jitsuin.notify.services import helpdesk_language

logger = logging.getLogger("jitsuin.revocation")
EVENT = "relying_party_behind"
ACTION = "relying_party.behind"


def _problem_context(problem: relying_parties.Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "authority": problem.authority,
        "loaded": problem.loaded,
        "published": problem.published,
        "since": problem.since,
    }


def alert_staff(now: datetime | None = None) -> int:
    """E-mail the helpdesk about each relying party with a problem not mailed before; returns
    how many e-mails were queued."""
    now = now or timezone.now()
    raised = 0
    for state in relying_parties.states(now=now):
        if state.ok:
            continue
        party = state.party
        with transaction.atomic():
            keys = [p.key for p in state.problems]
            told = set(
                AuditEvent.objects.filter(action=ACTION, data__key__in=keys).values_list(
                    "data__key", flat=True
                )
            )
            new = [p for p in state.problems if p.key not in told]
            if not new:
                continue
            for problem in new:
                record(
                    ACTION,
                    obj=party,
                    data={"key": problem.key, "name": party.name, "problem": problem.code},
                    at=now,
                )
            digest = hashlib.sha256("|".join(p.key for p in new).encode()).hexdigest()[:32]
            notify.enqueue(
                EVENT,
                to=current().helpdesk_email,
                key=f"relying-party-behind:{party.pk}:{digest}",
                context={
                    "name": party.name,
                    "token": party.token_name,
                    "problems": [_problem_context(p) for p in new],
                    "last_report_at": party.last_report_at,
                    "last_error": party.last_error,
                    "console_url": mail_url() + "/console/relying-parties/",
                },
                lang=helpdesk_language(),
                now=now,
            )
            logger.warning(
                "relying party %s behind: %s", party.name, ", ".join(p.code for p in new)
            )
            raised += 1
    return raised
