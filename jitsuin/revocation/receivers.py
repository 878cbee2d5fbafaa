"""Reactions to lifecycle signals. They run inside the sender's transaction and write only
revocation rows: a re-signed OCSP response and a pending CRL publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.ocsp import CertStatus, SingleStatus, build_response, cert_id_for
from jitsuin.revocation import publishing, responder
from jitsuin.revocation.lookup import serial_key
from jitsuin.revocation.models import OcspResponse
from jitsuin.revocation.settings import timings

_OCSP_FIELDS = ["status", "der", "this_update", "next_update"]
# One statement instead of update_or_create's savepoint, locking SELECT and INSERT: the serial
# is new, but a retried transaction or a repeated signal still replaces the row. Plain SQL:
# the ORM's query building costs more than the query (as on the /ocsp hot path).
_UPSERT_SQL = (
    "INSERT INTO revocation_ocspresponse (issuer_id, serial, status, der, this_update, "
    "next_update) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (issuer_id, serial) DO UPDATE "
    "SET status = excluded.status, der = excluded.der, this_update = excluded.this_update, "
    "next_update = excluded.next_update"
)


def on_certificate_issued(sender: Any, certificate: Certificate, **kwargs: Any) -> None:
    now = timezone.now()
    if not _presign_new(certificate, now):
        responder.presign_certificate(certificate, now=now)


def _presign_new(certificate: Certificate, now: datetime) -> bool:
    """The issuance fast path: the certificate row was just handed to us, so its status is
    known without reading it back. Only the common case (a valid certificate under a CA whose
    responder exists and that is not revoked) is handled here; False leaves anything else to
    ``responder.presign_certificate``."""
    authority = certificate.issuer
    if certificate.status != CertificateStatus.VALID or not authority.ocsp_key_ref:
        return False
    if responder.issuers.revoked_ancestor(authority.pk, now) is not None:
        return False
    try:
        signer = responder.responder_for(authority)
    except KeyStoreError:  # renewed by another process: the slow path re-reads the authority
        return False
    serial = certificate.serial_int
    issuer_certificate = certificate_of(authority)
    validity = timings().ocsp_validity
    der = build_response(
        cert_id_for(serial, issuer_certificate),
        SingleStatus(CertStatus.GOOD),
        responder=signer,
        extra_certificates=(issuer_certificate,) if authority.parent_id else (),
        this_update=now,
        validity=validity,
    )
    key = serial_key(serial)
    responder.forget_cached(authority.pk, key)
    _store(authority, key, der, now, now + validity)
    return True


def _store(
    authority: Authority, key: str, der: bytes, this_update: datetime, next_update: datetime
) -> None:
    connection = transaction.get_connection()
    if connection.vendor not in ("sqlite", "postgresql"):
        OcspResponse.objects.bulk_create(
            [
                OcspResponse(
                    issuer=authority,
                    serial=key,
                    status=CertStatus.GOOD.value,
                    der=der,
                    this_update=this_update,
                    next_update=next_update,
                )
            ],
            update_conflicts=True,
            unique_fields=["issuer", "serial"],
            update_fields=_OCSP_FIELDS,
        )
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_SQL,
            [
                authority.pk,
                key,
                CertStatus.GOOD.value,
                der,
                adapt(this_update),
                adapt(next_update),
            ],
        )


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
