"""What issuing and revoking a certificate change, each written in one place.

``record_issued`` and ``record_revocation`` run inside the caller's transaction (the worker
recording a connector's result; test factories call them too). Each changes the rows, writes
the audit event, and then tells the CA's publishing engine and the person, by name.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import changes as publishing
from jitsuin.authorities.publishing.crl import crl_entry_der
from jitsuin.connectors.base import Issued, Revoked
from jitsuin.lifecycle import notifications, pickups, recovery, transitions
from jitsuin.lifecycle.models import (
    WAIT_POLICY,
    Certificate,
    CertificateStatus,
    Request,
    RequestKind,
    RequestState,
)
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, common_name

S = RequestState


def record_issued(request: Request, result: Issued, now: datetime, *, actor: str) -> Certificate:
    """The certificate ``request`` asked for exists: its row (replacing the request's
    target), its pickup when the key was made here, the request ready (or done), the audit
    event; then its OCSP answer is signed and the person told."""
    leaf = result.certificate
    issuer_fingerprint = fingerprint_sha256(result.chain[0])
    issuer = result.authority
    if not isinstance(issuer, Authority) or issuer.fingerprint_sha256 != issuer_fingerprint:
        issuer = Authority.objects.get(fingerprint_sha256=issuer_fingerprint)
    certificate = Certificate.objects.create(
        issuer=issuer,
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
    if request.target_id:
        old = Certificate.objects.select_for_update().get(pk=request.target_id)
        # When the old one goes is lifecycle.overlap.revoke_date: not decided at issue.
        old.superseded_by = certificate
        old.save(update_fields=["superseded_by"])
    to_state = S.DONE
    if result.private_key is not None:
        pickups.create_pickup(
            request, certificate, key=result.private_key, leaf=leaf, chain=result.chain, now=now
        )
        # S/MIME: encrypted to the offline recovery key, so that old mail stays readable.
        recovery.archive_key(certificate, result.private_key, now=now)
        to_state = S.READY
    transitions.transition(
        request,
        to_state,
        actor=actor,
        now=now,
        locked=True,
        data={"serial": certificate.serial, "subject": common_name(leaf.subject)},
        certificate=certificate,
        last_error="",
    )
    record(
        "certificate.issued",
        actor=actor,
        obj=certificate,
        at=now,
        data={
            "serial": certificate.serial,
            "issuer": issuer.name,
            "person": request.person.uid,
            "request": request.pk,
            "not_after": certificate.not_after.isoformat(),
        },
    )
    publishing.certificate_issued(certificate)
    notifications.certificate_ready(certificate)
    return certificate


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
