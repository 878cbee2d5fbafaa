"""The work a certificate from a CSR needs whatever the database: the pipeline's floor.

``bench_pipeline_csr`` compares jitsuin's whole pipeline with django-ca's ``create_cert`` (one
signature, one row). Part of what jitsuin does per certificate does not depend on how rows
are written: the CSR checked (when asked, and again by the worker before signing), the
certificate signed by the issuing CA (P-384), its OCSP answer pre-signed by the delegated
responder, the two e-mails rendered ("request received", "certificate ready") and the audit
events sealed (HMAC chain, the JSON as stored). ``measure`` times exactly those calls, the
ones the pipeline makes, on the requests a run just finished, with no database access in the
timed part. What is left of django-ca's time per certificate, once this is taken off, is what
every row, claim and commit of jitsuin's certificate would have to fit in for 1.0x.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Floor:
    """CPU milliseconds per certificate of each part, and how many audit events it has."""

    csr_checks: float
    certificate: float
    ocsp_answer: float
    emails: float
    audit_seals: float
    events_per_certificate: float

    @property
    def total(self) -> float:
        return sum(
            (self.csr_checks, self.certificate, self.ocsp_answer, self.emails, self.audit_seals)
        )


class StatementClock:
    """The CPU this process spends inside the database's ``execute`` while a run works
    (``connection.execute_wrapper(clock)``): SQLite's own engine runs in this process; with
    PostgreSQL only psycopg's side is here, the server's work is in its own processes."""

    def __init__(self) -> None:
        self.cpu = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            self.cpu += time.process_time() - started


def _per_item_ms(work: Any, items: list[Any]) -> float:
    started = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - started) * 1000 / max(1, len(items))


def audit_mark() -> int:
    """The newest audit event's id: ``measure`` seals the events written after it."""
    from django.db.models import Max

    from jitsuin.audit.models import AuditEvent

    return int(AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0)


def measure(request_ids: list[int], audit_from: int) -> Floor:
    """The floor per certificate, measured on the finished issue requests ``request_ids``
    (made from CSRs) and the audit events written after ``audit_from`` (their run's):
    everything the timed calls need is read before the clock starts."""
    from django.utils import timezone

    from jitsuin.audit.models import AuditEvent
    from jitsuin.audit.services import _seal
    from jitsuin.authorities.publishing.ocsp_signing import sign
    from jitsuin.authorities.services import certificate_of
    from jitsuin.connectors.builtin import BuiltinConnector
    from jitsuin.lifecycle.issue_requests import _check_csr
    from jitsuin.lifecycle.models import Certificate, Request
    from jitsuin.lifecycle.notifications import certificate_context
    from jitsuin.lifecycle.pipeline import _order
    from jitsuin.notify.services import recipient_language, render
    from jitsuin.pki.ocsp import CertStatus, SingleStatus, cert_ids_of

    requests = list(Request.objects.filter(pk__in=request_ids).select_related("person", "profile"))
    certificates = list(
        Certificate.objects.filter(issued_by_request__in=request_ids).select_related(
            "issuer", "person"
        )
    )
    events = list(AuditEvent.objects.filter(id__gt=audit_from).order_by("id"))
    orders = [_order(r) for r in requests]
    connector = BuiltinConnector()
    now = timezone.now()
    connector._sign(orders[0], now)  # the issuing CA and its key loaded, as in a worker
    authority = certificates[0].issuer
    cert_id = cert_ids_of(certificate_of(authority))
    good = SingleStatus(CertStatus.GOOD)
    sign(authority, cert_id(certificates[0].serial_int), now, status=good)
    received = [
        (
            {"request_id": r.pk, "kind": r.kind, "created_at": r.created_at, "person": r.person},
            recipient_language(r.person),
        )
        for r in requests
    ]
    ready = [
        (
            certificate_context(c) | {"pickup_expires_at": None, "person": c.person},
            recipient_language(c.person),
        )
        for c in certificates
    ]

    def emails(pair: tuple[tuple[dict[str, Any], str], tuple[dict[str, Any], str]]) -> None:
        render("request_received", *pair[0])
        render("certificate_ready", *pair[1])

    def seal(event: AuditEvent) -> None:
        json.loads(json.dumps(event.data))
        _seal(event)

    n = len(requests)
    check = _per_item_ms(_check_csr, [o.csr_pem for o in orders])
    return Floor(
        # When asked (``request_issue``) and again by the worker (``issue_from_csr``).
        csr_checks=2 * check,
        # ``issue_from_csr`` checks the CSR once more: that check is counted above.
        certificate=_per_item_ms(lambda o: connector._sign(o, now), orders) - check,
        ocsp_answer=_per_item_ms(
            lambda c: sign(authority, cert_id(c.serial_int), now, status=good), certificates
        ),
        emails=_per_item_ms(emails, list(zip(received, ready, strict=False))),
        audit_seals=_per_item_ms(seal, events) * len(events) / max(1, n),
        events_per_certificate=len(events) / max(1, n),
    )
