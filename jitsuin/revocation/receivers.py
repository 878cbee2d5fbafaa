"""Reactions to lifecycle signals. They run inside the sender's transaction and write only
revocation rows: a re-signed OCSP response and a pending CRL publication."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.models import Certificate
from jitsuin.revocation import publishing, responder


def on_certificate_issued(sender: Any, certificate: Certificate, **kwargs: Any) -> None:
    responder.presign_certificate(certificate, now=timezone.now())


def on_certificate_revoked(sender: Any, certificate: Certificate, **kwargs: Any) -> None:
    now = timezone.now()
    responder.presign_certificate(certificate, now=now)
    publishing.schedule_publication(certificate.issuer_id, now=now)


def on_authority_revoked(sender: Any, authority: Authority, **kwargs: Any) -> None:
    now = timezone.now()
    responder.forget_caches()
    if authority.parent_id is None or authority.revoked_at is None:
        return
    effective = authority.revoked_at <= now
    publishing.schedule_publication(
        authority.parent_id, now=now, due_at=None if effective else authority.revoked_at
    )
    if effective:
        responder.presign(authority.parent, int(authority.serial, 16), now=now)
