"""The OCSP answer to one DER request: pre-signed from the store, live signing only when it must.

RFC 6960 with the RFC 5019 profile. A request without a nonce and with a SHA-1 CertID is
answered from the store (``authorities.publishing.ocsp_store``); a nonce, another CertID hash
or a missing row is signed live by the CA's delegated responder (``ocsp_signing``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp as x509_ocsp
from django.utils import timezone

from jitsuin.authorities.publishing import ocsp_store
from jitsuin.authorities.publishing.ocsp_signing import NoResponder, sign
from jitsuin.authorities.publishing.ocsp_status import issuers, live_status_of
from jitsuin.authorities.publishing.settings import timings
from jitsuin.lifecycle import sightings
from jitsuin.pki.errors import MalformedOcspRequest
from jitsuin.pki.names import Serial
from jitsuin.pki.ocsp import CertId, CertStatus, error_response, parse_request


@dataclass(frozen=True)
class OcspAnswer:
    der: bytes
    this_update: datetime | None = None
    next_update: datetime | None = None
    cacheable: bool = False
    # False for a repeat answered from this process's memory without touching the database.
    touched_database: bool = True


def error(status: x509_ocsp.OCSPResponseStatus) -> OcspAnswer:
    return OcspAnswer(der=error_response(status))


MALFORMED = x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
UNAUTHORIZED = x509_ocsp.OCSPResponseStatus.UNAUTHORIZED
TRY_LATER = x509_ocsp.OCSPResponseStatus.TRY_LATER


def answer(data: bytes, *, now: datetime | None = None) -> OcspAnswer:
    """The DER response to a DER request. Never raises for bad input."""
    now = now or timezone.now()
    try:
        query = parse_request(data)
    except (MalformedOcspRequest, UnsupportedAlgorithm):
        return error(MALFORMED)
    cert_id = query.cert_id
    rfc5019 = query.nonce is None and isinstance(cert_id.algorithm, hashes.SHA1)
    # Keyed by what the request asks, not by its bytes: padding cannot fill the memory.
    seen = ocsp_store.answers_by_cert_id.get(_cert_id_key(cert_id)) if rfc5019 else None
    if seen is not None and time.monotonic() - seen[4] < ocsp_store.cache_ttl() and seen[3] > now:
        sightings.note(seen[1], seen[2], now)
        result: OcspAnswer = seen[0]
        return result
    if cert_id.serial < 0:
        return error(MALFORMED)  # RFC 5280 serials are positive; none of ours is negative
    issuer = issuers.find(cert_id)
    if issuer is None:
        return error(UNAUTHORIZED)
    key = Serial(cert_id.serial).db
    sightings.note(issuer.pk, key, now)
    if rfc5019:
        stored = ocsp_store.remembered(issuer.pk, key, now)
        if stored is not None and not _outdated_by_ca_revocation(issuer.pk, stored[1], now):
            result = OcspAnswer(*stored, cacheable=True)
            _remember_request(cert_id, result, issuer.pk, key)
            return result
    authority = issuers.authority(issuer.pk)
    # A nonce (or another CertID hash) is signed from the certificate's status as this process
    # knows it (one indexed query, or memory for JITSUIN_OCSP_CACHE_TTL, dropped at once on a
    # change made here); a missing RFC 5019 answer, which is stored, from a fresh read.
    known, touched = live_status_of(issuer.pk, key, now) if not rfc5019 else (None, True)
    try:
        der, status = sign(authority, cert_id, now, nonce=query.nonce, status=known)
    except NoResponder:
        # RFC 8954 lets a responder leave the nonce out; a stored answer beats none at all.
        stored = ocsp_store.remembered(issuer.pk, key, now) if not rfc5019 else None
        if stored is not None and isinstance(cert_id.algorithm, hashes.SHA1):
            return OcspAnswer(*stored)
        return error(TRY_LATER)
    if rfc5019 and status.status is not CertStatus.UNKNOWN:
        ocsp_store.store(issuer.pk, key, status.status, der, now)
    return OcspAnswer(
        der, now, now + timings().ocsp_validity, cacheable=rfc5019, touched_database=touched
    )


def _cert_id_key(cert_id: CertId) -> tuple[bytes, bytes, int, str]:
    return (
        cert_id.issuer_name_hash,
        cert_id.issuer_key_hash,
        cert_id.serial,
        cert_id.algorithm.name,
    )


def _remember_request(cert_id: CertId, result: OcspAnswer, issuer_id: int, serial: str) -> None:
    if ocsp_store.cache_ttl() <= 0 or result.next_update is None:
        return
    repeat = replace(result, touched_database=False)
    entry = (repeat, issuer_id, serial, result.next_update, time.monotonic())
    ocsp_store.answers_by_cert_id.put(_cert_id_key(cert_id), entry, len(result.der))


def _outdated_by_ca_revocation(issuer_id: int, this_update: datetime, now: datetime) -> bool:
    revoked = issuers.revoked_ancestor(issuer_id, now)
    return (
        revoked is not None and revoked.revoked_at is not None and this_update < revoked.revoked_at
    )
