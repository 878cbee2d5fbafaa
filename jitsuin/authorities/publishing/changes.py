"""What publishing does when a certificate or a CA changes state; called by name from
``lifecycle.certificates`` and ``authorities.revocations.revoke_authority``. It runs inside the
caller's transaction and writes only publishing rows: a re-signed OCSP response and a pending
CRL publication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import ocsp_store
from jitsuin.authorities.publishing.crl import schedule_publication
from jitsuin.authorities.publishing.ocsp_signing import (
    NoResponder,
    presign,
    presign_certificate,
    reset_process_caches,
    sign,
)
from jitsuin.authorities.publishing.ocsp_status import issuers
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.names import Serial
from jitsuin.pki.ocsp import CertId, CertStatus, SingleStatus, cert_ids_of


def certificate_issued(certificate: Certificate) -> None:
    """``certificate`` was just issued: sign and store its ``good`` OCSP answer."""
    certificates_issued([certificate])


def certificates_issued(certificates: list[Certificate]) -> None:
    """``certificates`` were just issued together: sign their ``good`` OCSP answers and store
    them in one write."""
    now = timezone.now()
    signed = []
    cert_ids: dict[int, Callable[[int], CertId]] = {}  # per CA: its hashes once per batch
    for certificate in certificates:
        answer = _presign_new(certificate, now, cert_ids)
        if answer is None:
            presign_certificate(certificate, now=now)
        else:
            signed.append(answer)
    ocsp_store.store_many(signed, now)


def _presign_new(
    certificate: Certificate, now: datetime, cert_ids: dict[int, Callable[[int], CertId]]
) -> tuple[int, str, CertStatus, bytes] | None:
    """The issuance fast path: the certificate row was just handed to us, so its status is
    known without reading it back. Only the common case (a valid certificate under a CA whose
    responder exists and that is not revoked) is handled here, giving the answer to store;
    None leaves anything else to ``presign_certificate``."""
    authority = certificate.issuer
    if certificate.status != CertificateStatus.VALID or not authority.ocsp_key_ref:
        return None
    if issuers.revoked_ancestor(authority.pk, now) is not None:
        return None
    serial = certificate.serial_int
    good = SingleStatus(CertStatus.GOOD)
    if authority.pk not in cert_ids:
        cert_ids[authority.pk] = cert_ids_of(certificate_of(authority))
    cert_id = cert_ids[authority.pk](serial)
    try:
        der, _ = sign(authority, cert_id, now, status=good)
    except (KeyStoreError, NoResponder):
        return None  # renewed by another process: the slow path re-reads the authority
    return authority.pk, Serial(serial).db, good.status, der


def certificate_revoked(certificate: Certificate) -> None:
    """``certificate`` was just revoked: re-sign its OCSP answer, schedule its CA's CRL."""
    now = timezone.now()
    presign_certificate(certificate, now=now)
    schedule_publication(certificate.issuer_id, now=now)


def authority_revoked(authority: Authority) -> None:
    """``authority`` was revoked (now or from a future ``revoked_at``): forget this process's
    caches, schedule the parent's CRL, and re-sign the parent's answer about it if in effect."""
    now = timezone.now()
    reset_process_caches()
    if authority.parent_id is None or authority.revoked_at is None:
        return
    if authority.parent is not None and authority.parent.kept_offline:
        return  # its root's CRL comes from a ceremony (jitsuin ca offline request crl)
    effective = authority.revoked_at <= now
    schedule_publication(
        authority.parent_id, now=now, due_at=None if effective else authority.revoked_at
    )
    if effective:
        presign(authority.parent, Serial.parse(authority.serial).value, now=now)
