"""The OCSP responder: pre-signed answers from the store, live signing only when it must.

RFC 6960 with the RFC 5019 profile. A request without a nonce and with a SHA-1 CertID is
answered from ``OcspResponse`` (signed ahead of time, re-signed at once on revocation);
a nonce, another CertID hash or a missing row is signed live by the CA's delegated responder.

Every CA, the root included, answers through a delegated responder certificate: the web
processes load responder keys only, never a CA key. A CA without a responder yet (a root made
before roots had one; the periodic job gives it one) is answered from the store, or
``tryLater`` when nothing is stored.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x509_ocsp
from django.db import connection
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of, ensure_ocsp_signer, ocsp_signer_for
from jitsuin.config import current as current_config
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.errors import MalformedOcspRequest
from jitsuin.pki.issuance import Signer
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.ocsp import (
    CertId,
    CertStatus,
    SingleStatus,
    build_response,
    cert_id_for,
    error_response,
    issuer_hashes,
    parse_request,
)
from jitsuin.revocation import sightings
from jitsuin.revocation.answer_cache import ByteBoundedCache
from jitsuin.revocation.lookup import certificate_for, serial_key, serial_spellings
from jitsuin.revocation.models import OcspResponse, OcspStatus
from jitsuin.revocation.publishing import reason_flag
from jitsuin.revocation.settings import timings

_HASHES = (hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512())  # noqa: S303
INDEX_TTL = 5.0  # seconds an in-process view of the authorities is trusted


@dataclass(frozen=True)
class IssuerInfo:
    pk: int
    parent_id: int | None
    revoked_at: datetime | None
    revocation_reason: str
    ocsp_key_ref: str


class _IssuerIndex:
    """(hash name, issuer name hash, issuer key hash) -> authority, refreshed every few seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = -INDEX_TTL
        self._by_hash: dict[tuple[str, bytes, bytes], int] = {}
        self._info: dict[int, IssuerInfo] = {}
        self._authorities: dict[int, Authority] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = -INDEX_TTL

    def _load(self) -> None:
        by_hash: dict[tuple[str, bytes, bytes], int] = {}
        info: dict[int, IssuerInfo] = {}
        authorities: dict[int, Authority] = {}
        for authority in Authority.objects.all():
            authorities[authority.pk] = authority
            certificate = certificate_of(authority)
            for algorithm in _HASHES:
                name_hash, key_hash = issuer_hashes(certificate, algorithm)
                by_hash[(algorithm.name, name_hash, key_hash)] = authority.pk
            info[authority.pk] = IssuerInfo(
                pk=authority.pk,
                parent_id=authority.parent_id,
                revoked_at=authority.revoked_at,
                revocation_reason=authority.revocation_reason,
                ocsp_key_ref=authority.ocsp_key_ref,
            )
        self._by_hash, self._info, self._authorities = by_hash, info, authorities
        self._loaded_at = time.monotonic()

    def _fresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._loaded_at > INDEX_TTL:
                self._load()

    def find(self, cert_id: CertId) -> IssuerInfo | None:
        self._fresh()
        key = (cert_id.algorithm.name, cert_id.issuer_name_hash, cert_id.issuer_key_hash)
        pk = self._by_hash.get(key)
        return self._info.get(pk) if pk is not None else None

    def info(self, pk: int) -> IssuerInfo:
        self._fresh()
        if pk not in self._info:
            with self._lock:
                self._load()
        return self._info[pk]

    def authority(self, pk: int) -> Authority:
        """The row as of the last load (at most INDEX_TTL seconds old)."""
        self.info(pk)
        return self._authorities[pk]

    def revoked_ancestor(self, pk: int, now: datetime) -> IssuerInfo | None:
        """``pk`` itself or the nearest CA above it whose revocation is in effect."""
        current: int | None = pk
        while current is not None:
            item = self.info(current)
            if item.revoked_at is not None and item.revoked_at <= now:
                return item
            current = item.parent_id
        return None


issuers = _IssuerIndex()
_signers: dict[tuple[int, str], Signer] = {}
_signers_lock = threading.Lock()


class NoResponder(Exception):
    """The CA has no delegated responder certificate (yet): nothing may sign live for it."""


def responder_for(authority: Authority) -> Signer:
    """The delegated responder of ``authority``; never the CA's own key."""
    if not authority.ocsp_key_ref or not authority.ocsp_certificate_der:
        raise NoResponder(authority.name)
    key = (authority.pk, authority.ocsp_key_ref)
    with _signers_lock:
        signer = _signers.get(key)
    if signer is None:
        signer = ocsp_signer_for(authority)
        with _signers_lock:
            _signers[key] = signer
    return signer


def forget_caches() -> None:
    """After an authority changed in this process (revoked, new responder)."""
    issuers.invalidate()
    _memory.clear()
    _by_cert_id.clear()
    with _signers_lock:
        _signers.clear()


def status_of(issuer_id: int, serial: int, now: datetime) -> SingleStatus:
    """What jitsuin knows about ``serial`` under issuer ``issuer_id`` at ``now``."""
    revoked_ca = issuers.revoked_ancestor(issuer_id, now)
    row = certificate_for(issuer_id, serial)
    if row is not None:
        if row.status == CertificateStatus.REVOKED and row.revoked_at and row.revoked_at <= now:
            return SingleStatus(
                CertStatus.REVOKED, row.revoked_at, reason_flag(row.revocation_reason)
            )
    else:
        child = Authority.objects.filter(
            parent_id=issuer_id, serial__in=serial_spellings(serial)
        ).first()
        if child is None:
            return SingleStatus(CertStatus.UNKNOWN)
        if child.revoked_at is not None and child.revoked_at <= now:
            return SingleStatus(
                CertStatus.REVOKED, child.revoked_at, reason_flag(child.revocation_reason)
            )
    if revoked_ca is not None:
        # RFC 6960 2.7: every certificate of a revoked CA may be answered as revoked.
        reason = reason_flag(revoked_ca.revocation_reason)
        if reason in (None, x509.ReasonFlags.key_compromise):
            reason = x509.ReasonFlags.ca_compromise
        return SingleStatus(CertStatus.REVOKED, revoked_ca.revoked_at, reason)
    return SingleStatus(CertStatus.GOOD)


def sign(
    authority: Authority,
    cert_id: CertId,
    now: datetime,
    *,
    nonce: bytes | None = None,
    status: SingleStatus | None = None,
) -> tuple[bytes, SingleStatus]:
    """The signed response for ``cert_id``; ``status`` when the caller already knows it."""
    answer = status or status_of(authority.pk, cert_id.serial, now)
    try:
        signer = responder_for(authority)
    except KeyStoreError:
        # The responder was renewed by another process and the old key destroyed: re-read.
        issuers.invalidate()
        authority = Authority.objects.get(pk=authority.pk)
        signer = responder_for(authority)
    # An intermediate's certificate goes along so that root-only relying parties can chain the
    # responder; a root's responder chains to the anchor they already have.
    der = build_response(
        cert_id,
        answer,
        responder=signer,
        extra_certificates=(certificate_of(authority),) if authority.parent_id else (),
        this_update=now,
        validity=timings().ocsp_validity,
        nonce=nonce,
    )
    return der, answer


def presign(authority: Authority, serial: int, *, now: datetime | None = None) -> None:
    """Sign and store the RFC 5019 response for ``serial``; replaces any older one.

    Runs where certificates are issued and revoked (worker, CLI), never on the /ocsp path:
    a CA still without a delegated responder gets one here.
    """
    now = now or timezone.now()
    if not authority.ocsp_key_ref:
        authority = ensure_ocsp_signer(authority)
        forget_caches()
    cert_id = cert_id_for(serial, certificate_of(authority))
    der, answer = sign(authority, cert_id, now)
    store(authority.pk, serial_key(serial), answer.status, der, now)


# One statement instead of update_or_create's savepoint, locking SELECT and INSERT: a retried
# transaction or a repeated signal replaces the row. Plain SQL: the ORM's query building costs
# more than the query (as on the /ocsp hot path).
_UPSERT_SQL = (
    "INSERT INTO revocation_ocspresponse (issuer_id, serial, status, der, this_update, "
    "next_update) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (issuer_id, serial) DO UPDATE "
    "SET status = excluded.status, der = excluded.der, this_update = excluded.this_update, "
    "next_update = excluded.next_update"
)


def store(issuer_id: int, serial: str, status: CertStatus, der: bytes, now: datetime) -> None:
    """Keep ``der`` (signed at ``now``) as the RFC 5019 answer for ``serial``; replaces any
    older one and drops this process's cached copies."""
    forget_cached(issuer_id, serial)
    next_update = now + timings().ocsp_validity
    if connection.vendor not in ("sqlite", "postgresql"):
        OcspResponse.objects.bulk_create(
            [
                OcspResponse(
                    issuer_id=issuer_id,
                    serial=serial,
                    status=status.value,
                    der=der,
                    this_update=now,
                    next_update=next_update,
                )
            ],
            update_conflicts=True,
            unique_fields=["issuer", "serial"],
            update_fields=["status", "der", "this_update", "next_update"],
        )
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_SQL, [issuer_id, serial, status.value, der, adapt(now), adapt(next_update)]
        )


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
    seen = _by_cert_id.get(_cert_id_key(cert_id)) if rfc5019 else None
    if seen is not None and time.monotonic() - seen[4] < _ttl() and seen[3] > now:
        sightings.note(seen[1], seen[2], now)
        return seen[0]
    if cert_id.serial < 0:
        return error(MALFORMED)  # RFC 5280 serials are positive; none of ours is negative
    issuer = issuers.find(cert_id)
    if issuer is None:
        return error(UNAUTHORIZED)
    key = serial_key(cert_id.serial)
    sightings.note(issuer.pk, key, now)
    if rfc5019:
        stored = _remembered(issuer.pk, key, now)
        if stored is not None and not _outdated_by_ca_revocation(issuer.pk, stored[1], now):
            result = OcspAnswer(*stored, cacheable=True)
            _remember_request(cert_id, result, issuer.pk, key)
            return result
    authority = issuers.authority(issuer.pk)
    try:
        der, status = sign(authority, cert_id, now, nonce=query.nonce)
    except NoResponder:
        # RFC 8954 lets a responder leave the nonce out; a stored answer beats none at all.
        stored = _remembered(issuer.pk, key, now) if not rfc5019 else None
        if stored is not None and isinstance(cert_id.algorithm, hashes.SHA1):
            return OcspAnswer(*stored)
        return error(TRY_LATER)
    if rfc5019 and status.status is not CertStatus.UNKNOWN:
        store(issuer.pk, key, status.status, der, now)
    return OcspAnswer(der, now, now + timings().ocsp_validity, cacheable=rfc5019)


_STORED_SQL = (
    "SELECT der FROM revocation_ocspresponse WHERE issuer_id = %s AND serial = %s "
    "AND next_update > %s"
)


def _stored(issuer_id: int, serial: str, now: datetime) -> tuple[bytes, datetime, datetime] | None:
    """The hot path: one indexed SELECT in plain SQL (the ORM's query building costs more than
    the query); the times come from the signed response itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STORED_SQL, [issuer_id, serial, connection.ops.adapt_datetimefield_value(now)]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    der = bytes(row[0])
    response = x509_ocsp.load_der_ocsp_response(der)
    next_update = response.next_update_utc
    if next_update is None:
        return None
    return der, response.this_update_utc, next_update


def _cache_budget() -> int:
    """Half of JITSUIN_OCSP_CACHE_BYTES for each of the two caches below."""
    return current_config().ocsp_cache_bytes // 2


# (issuer, serial) -> a stored response, its thisUpdate and nextUpdate, when it was read.
_memory: ByteBoundedCache[tuple[int, str], tuple[bytes, datetime, datetime, float]] = (
    ByteBoundedCache(_cache_budget)
)
# An RFC 5019 CertID (a relying party asks again and again) -> the answer, its issuer, serial
# and nextUpdate, and when it was remembered: a repeat skips every look-up. Like _memory, it is
# trusted for JITSUIN_OCSP_CACHE_TTL. Nonce requests never come here.
_by_cert_id: ByteBoundedCache[
    tuple[bytes, bytes, int, str], tuple[OcspAnswer, int, str, datetime, float]
] = ByteBoundedCache(_cache_budget)


def _cert_id_key(cert_id: CertId) -> tuple[bytes, bytes, int, str]:
    return (
        cert_id.issuer_name_hash,
        cert_id.issuer_key_hash,
        cert_id.serial,
        cert_id.algorithm.name,
    )


def _ttl() -> float:
    return timings().ocsp_cache_ttl.total_seconds()


def _remember_request(cert_id: CertId, result: OcspAnswer, issuer_id: int, serial: str) -> None:
    if _ttl() <= 0 or result.next_update is None:
        return
    repeat = replace(result, touched_database=False)
    entry = (repeat, issuer_id, serial, result.next_update, time.monotonic())
    _by_cert_id.put(_cert_id_key(cert_id), entry, len(result.der))


def _remembered(
    issuer_id: int, serial: str, now: datetime
) -> tuple[bytes, datetime, datetime] | None:
    """A stored response from this process's memory (no database connection on a hit)."""
    ttl = _ttl()
    key = (issuer_id, serial)
    hit = _memory.get(key)
    clock = time.monotonic()
    if hit is not None and clock - hit[3] < ttl and hit[2] > now:
        return hit[0], hit[1], hit[2]
    stored = _stored(issuer_id, serial, now)
    if stored is not None and ttl > 0:
        _memory.put(key, (*stored, clock), len(stored[0]))
    return stored


def forget_cached(issuer_id: int, serial: str) -> None:
    """Drop this process's cached answers for a certificate whose status just changed."""
    _memory.pop((issuer_id, serial))
    _by_cert_id.clear()  # rare (a signature in this process) next to look-ups


def _outdated_by_ca_revocation(issuer_id: int, this_update: datetime, now: datetime) -> bool:
    revoked = issuers.revoked_ancestor(issuer_id, now)
    return (
        revoked is not None and revoked.revoked_at is not None and this_update < revoked.revoked_at
    )


def refresh_responses(now: datetime | None = None, *, limit: int = 5000) -> int:
    """Re-sign stored responses close to their nextUpdate (or outdated by a CA revocation)."""
    now = now or timezone.now()
    margin = timings().ocsp_refresh_margin
    stale = list(
        OcspResponse.objects.filter(next_update__lt=now + margin)
        .order_by("next_update")
        .values_list("issuer_id", "serial")[:limit]
    )
    for authority in Authority.objects.filter(revoked_at__lte=now):
        older = OcspResponse.objects.filter(
            issuer__in=_descendants(authority), this_update__lt=authority.revoked_at
        ).values_list("issuer_id", "serial")[: max(0, limit - len(stale))]
        stale.extend(older)
    authorities = {a.pk: a for a in Authority.objects.all()}
    for ca in authorities.values():
        # A CA revoked since its parent last answered for it (scheduled revocations too).
        if ca.parent_id and ca.revoked_at is not None and ca.revoked_at <= now:
            key = serial_key(int(ca.serial, 16))
            if not OcspResponse.objects.filter(
                issuer_id=ca.parent_id, serial=key, status=OcspStatus.REVOKED
            ).exists():
                stale.append((ca.parent_id, key))
    for issuer_id, serial in stale:
        presign(authorities[issuer_id], int(serial, 16), now=now)
    return len(stale)


def _descendants(authority: Authority) -> list[int]:
    found, frontier = [authority.pk], [authority.pk]
    while frontier:
        frontier = list(
            Authority.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        found.extend(frontier)
    return found


def presign_certificate(certificate: Certificate, *, now: datetime | None = None) -> None:
    presign(certificate.issuer, certificate.serial_int, now=now)


def static_path_for(cert_id: CertId) -> str:
    """The RFC 5019 GET path (after /ocsp/) of the no-nonce request for ``cert_id``."""
    request = (
        x509_ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            cert_id.issuer_name_hash, cert_id.issuer_key_hash, cert_id.serial, cert_id.algorithm
        )
        .build()
    )
    return base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()


def export_static(directory: Path, *, now: datetime | None = None) -> int:
    """Write every current pre-signed response as ``directory/<base64 request>``.

    A web server or CDN serving ``directory`` at ``/ocsp/`` answers RFC 5019 GETs without
    jitsuin (a ``/`` in the base64 text becomes a subdirectory, as the decoded URL path does).
    Set ``default_type application/ocsp-response``. Re-run after each refresh.
    """
    now = now or timezone.now()
    written = 0
    for authority in Authority.objects.all():
        issuer = certificate_of(authority)
        rows = OcspResponse.objects.filter(issuer=authority, next_update__gt=now).values_list(
            "serial", "der"
        )
        for serial, der in rows.iterator(chunk_size=2000):
            target = directory / static_path_for(cert_id_for(int(serial, 16), issuer))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bytes(der))
            written += 1
    return written
