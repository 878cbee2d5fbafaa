"""What issuing and revoking a certificate change, each written in one place.

``record_issued`` and ``record_revocation`` run inside the caller's transaction (the worker
recording a connector's result; test factories call them too). Each changes the rows, writes
the audit event, and then tells the CA's publishing engine and the person, by name.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization

from jitsuin.audit.services import batched, record
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import changes as publishing
from jitsuin.authorities.publishing.crl import crl_entry_der
from jitsuin.connectors.base import Issued, Revoked
from jitsuin.lifecycle import notifications, pickups, recovery, transitions
from jitsuin.lifecycle.models import (
    WAIT_POLICY,
    Certificate,
    CertificateStatus,
    Pickup,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.lifecycle.row_updates import update_each
from jitsuin.notify.batching import batched as notify_batched
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, common_name
from jitsuin.row_inserts import insert_rows

S = RequestState


def record_issued(request: Request, result: Issued, now: datetime, *, actor: str) -> Certificate:
    """The certificate ``request`` asked for exists: its row (replacing the request's
    target), its pickup when the key was made here, the request ready (or done), the audit
    event; then its OCSP answer is signed and the person told."""
    return record_issued_many([(request, result)], now, actor=actor)[0]


def record_issued_many(
    issued: list[tuple[Request, Issued]], now: datetime, *, actor: str
) -> list[Certificate]:
    """``record_issued`` for requests whose certificates were issued together (the worker's
    batches): the same rows, events and e-mails, written a kind at a time (one INSERT of the
    certificates, one audit append, one OCSP store write, one outbox insert)."""
    with batched(), notify_batched():
        certificates = [_certificate_row(request, result) for request, result in issued]
        insert_rows(certificates)
        # When the old one goes is lifecycle.overlap.revoke_date: not decided at issue.
        update_each(
            Certificate,
            {
                request.target_id: {"superseded_by": certificate}
                for (request, _result), certificate in zip(issued, certificates, strict=True)
                if request.target_id
            },
        )
        made = [
            (request, certificate, result)
            for (request, result), certificate in zip(issued, certificates, strict=True)
            if result.private_key is not None
        ]
        pickup_of: dict[int, Pickup | None] = {c.pk: None for c in certificates}
        if made:
            to_make = [
                pickups.PickupToMake(r, c, result.private_key, result.certificate, result.chain)
                for r, c, result in made
                if result.private_key is not None
            ]
            for pickup in pickups.create_pickups(to_make, now=now):
                pickup_of[pickup.certificate_id] = pickup
            for _request, certificate, result in made:
                assert result.private_key is not None
                # S/MIME: encrypted to the offline recovery key, so that old mail stays readable.
                recovery.archive_key(certificate, result.private_key, now=now)
        by_state: dict[str, list[Request]] = {}
        for request, result in issued:
            by_state.setdefault(S.DONE if result.private_key is None else S.READY, []).append(
                request
            )
        for to_state, requests in by_state.items():
            transitions.transition_many(
                requests,
                to_state,
                actor=actor,
                now=now,
                each={
                    r.pk: {"certificate": c}
                    for r, c in _pairs(issued, certificates)
                    if r in requests
                },
                data={
                    r.pk: {"serial": c.serial, "subject": common_name(x.certificate.subject)}
                    for (r, x), c in zip(issued, certificates, strict=True)
                },
                last_error="",
            )
        for (request, _result), certificate in zip(issued, certificates, strict=True):
            record(
                "certificate.issued",
                actor=actor,
                obj=certificate,
                at=now,
                data={
                    "serial": certificate.serial,
                    "issuer": certificate.issuer.name,
                    "person": request.person.uid,
                    "request": request.pk,
                    "not_after": certificate.not_after.isoformat(),
                },
            )
        publishing.certificates_issued(certificates)
        for certificate in certificates:
            notifications.certificate_ready(certificate, pickup=pickup_of[certificate.pk])
    return certificates


def _pairs(
    issued: list[tuple[Request, Issued]], certificates: list[Certificate]
) -> list[tuple[Request, Certificate]]:
    return [(request, c) for (request, _r), c in zip(issued, certificates, strict=True)]


# Issuing CA rows by fingerprint, read once per process: a row's certificate never changes.
_issuers: dict[str, Authority] = {}


def _issuer(result: Issued) -> Authority:
    fingerprint = fingerprint_sha256(result.chain[0])
    issuer = result.authority
    if isinstance(issuer, Authority) and issuer.fingerprint_sha256 == fingerprint:
        return issuer
    if fingerprint not in _issuers:
        _issuers[fingerprint] = Authority.objects.get(fingerprint_sha256=fingerprint)
    return _issuers[fingerprint]


def _certificate_row(request: Request, result: Issued) -> Certificate:
    leaf = result.certificate
    return Certificate(
        issuer=_issuer(result),
        person=request.person,
        profile=request.profile,
        serial=Serial(leaf.serial_number).db,
        subject=leaf.subject.rfc4514_string(),
        email=request.person.email,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint_sha256=fingerprint_sha256(leaf),
        der=leaf.public_bytes(serialization.Encoding.DER),
    )


def record_revocation(
    request: Request, result: Revoked, now: datetime, *, actor: str
) -> Certificate:
    """The certificate ``request`` targets is revoked from ``result.revoked_at`` with the
    request's reason: its row, the request done, the audit event; then its OCSP answer is
    re-signed, its CRL scheduled, the person told (unless it was asked for ``silent``), and
    issue requests waiting for this revocation (revoke-first) go ahead."""
    certificate = Certificate.objects.select_for_update().get(pk=request.target_id)
    if certificate.status != CertificateStatus.REVOKED:
        certificate.status = CertificateStatus.REVOKED
        certificate.revoked_at = result.revoked_at
        certificate.revocation_reason = request.reason or "unspecified"
        # Encoded once here; every CRL that lists it copies these bytes (publishing/crl.py).
        certificate.crl_entry = crl_entry_der(
            certificate.serial, result.revoked_at, certificate.revocation_reason
        )
        certificate.save(update_fields=["status", "revoked_at", "revocation_reason", "crl_entry"])
    transitions.transition(
        request,
        S.DONE,
        actor=actor,
        now=now,
        locked=True,
        data={"serial": certificate.serial},
        last_error="",
    )
    record(
        "certificate.revoked",
        actor=actor,
        obj=certificate,
        at=now,
        data={
            "serial": certificate.serial,
            "reason": certificate.revocation_reason,
            "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
            "request": request.pk,
        },
    )
    publishing.certificate_revoked(certificate)
    # A pickup that expired: the person had the pickup-expired e-mail instead.
    if not Request.objects.filter(
        kind=RequestKind.REVOKE, target=certificate, silent=True
    ).exists():
        notifications.revocation_done(certificate)
    # revoke-first: issue requests waiting for this revocation can go now.
    for waiting in Request.objects.filter(
        kind=RequestKind.ISSUE, state=S.WAITING, target=certificate, wait_reason=WAIT_POLICY
    ).values_list("pk", flat=True):
        transitions.schedule(waiting, now)
    return certificate
