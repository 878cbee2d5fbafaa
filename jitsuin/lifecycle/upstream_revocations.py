"""Certificates the national service revoked without this portal asking (the officer's own
form, the service's operator): its status list shows them revoked, ``upki.reconcile`` marks
their lines, and this job (``upki.revoked_at_service``) revokes them here too, so that the
portal, the console and the e-mails say what relying parties already see in the service's
CRL. The upki connector answers such a revocation at once, without an upload."""

from __future__ import annotations

import logging
from datetime import datetime

from jitsuin.audit.actors import Actor
from jitsuin.config import current
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import CertificateStatus, Request
from jitsuin.lifecycle.services import request_revoke
from jitsuin.upki.models import ApplyType, Line

logger = logging.getLogger("jitsuin.upki")
ACTOR = str(Actor.system("upki"))


def follow(now: datetime) -> int:
    """Ask for the revocation of each certificate the service revoked; returns how many."""
    if not current().upki.enabled:
        return 0
    marked = (
        Line.objects.exclude(apply_type=ApplyType.REVOKE)
        .filter(revoked_at_service__isnull=False)
        .values_list("pk", "request_id")
    )
    requests = Request.objects.filter(
        pk__in=[request_id for _pk, request_id in marked],
        certificate__status=CertificateStatus.VALID,
    ).select_related("certificate")
    asked = 0
    line_of = {request_id: pk for pk, request_id in marked}
    for request in requests:
        try:
            request_revoke(
                request.certificate,
                actor=ACTOR,
                idempotency_key=f"upki-revoked-at-service-{line_of[request.pk]}",
                now=now,
            )
        except NotAllowed as exc:
            logger.warning("certificate of request %s not revoked here: %s", request.pk, exc)
            continue
        asked += 1
    return asked
