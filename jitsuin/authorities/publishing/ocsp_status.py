"""What jitsuin knows about a serial under one of its CAs, for OCSP answers.

An in-process index of the CAs (by the issuer hashes an OCSP CertID carries, and up the
hierarchy for revoked ancestors), refreshed every few seconds, and ``status_of``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.db import connection
from django.utils.dateparse import parse_datetime

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing.answer_cache import ByteBoundedCache
from jitsuin.authorities.publishing.crl import reason_flag
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import certificate_of
from jitsuin.config import current as current_config
from jitsuin.lifecycle.lookup import certificate_for, child_authority_for
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.ocsp import CertId, CertStatus, SingleStatus, issuer_hashes

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


def status_of(issuer_id: int, serial: int, now: datetime) -> SingleStatus:
    """What jitsuin knows about ``serial`` under issuer ``issuer_id`` at ``now``, read now.

    What signs ahead of time (``presign``: issuance, revocation, refresh) asks here, never
    from memory."""
    revoked_ca = issuers.revoked_ancestor(issuer_id, now)
    row = certificate_for(issuer_id, serial)
    if row is not None:
        facts = Facts(
            row.status == CertificateStatus.REVOKED, row.revoked_at, row.revocation_reason
        )
    else:
        child = child_authority_for(issuer_id, serial)
        facts = Facts(True, child.revoked_at, child.revocation_reason) if child else UNKNOWN
    return _status(facts, revoked_ca, now)


@dataclass(frozen=True)
class Facts:
    """The certificate's (or child CA's) row as OCSP needs it; ``None`` rows are UNKNOWN."""

    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str
    known: bool = True


UNKNOWN = Facts(False, None, "", known=False)
FACTS_SIZE = 200  # bytes a cached Facts costs, next to ByteBoundedCache's ENTRY_OVERHEAD

# The live (nonce) path's one query: the certificate row, by the unique (issuer, serial) index,
# in plain SQL (the ORM's query building cost ~20 times the query; docs/performance.md).
_CERTIFICATE_SQL = (
    f"SELECT status, revoked_at, revocation_reason FROM {Certificate._meta.db_table} "  # noqa: S608
    "WHERE issuer_id = %s AND serial = %s"
)
_CHILD_SQL = (
    f"SELECT revoked_at, revocation_reason FROM {Authority._meta.db_table} "  # noqa: S608
    "WHERE parent_id = %s AND serial = %s"
)


def _aware(value: object) -> datetime | None:
    """A DateTimeField read in plain SQL: SQLite gives text or naive UTC, PostgreSQL aware."""
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _read_facts(issuer_id: int, serial: str) -> Facts:
    with connection.cursor() as cursor:
        cursor.execute(_CERTIFICATE_SQL, [issuer_id, serial])
        row = cursor.fetchone()
        if row is not None:
            return Facts(row[0] == CertificateStatus.REVOKED, _aware(row[1]), row[2] or "")
        cursor.execute(_CHILD_SQL, [issuer_id, serial])
        child = cursor.fetchone()
    if child is None:
        return UNKNOWN
    return Facts(True, _aware(child[0]), child[1] or "")


def _facts_budget() -> int:
    """A quarter of JITSUIN_OCSP_CACHE_BYTES (``ocsp_store`` holds the other three)."""
    return current_config().ocsp_cache_bytes // 4


# (issuer, serial) -> the certificate's facts and when they were read: the live (nonce) path's
# memory. Trusted for JITSUIN_OCSP_CACHE_TTL, as the pre-signed answers are; a status change
# in this process drops the entry at once (``forget``, from ``ocsp_store.store``).
facts_by_serial: ByteBoundedCache[tuple[int, str], tuple[Facts, float]] = ByteBoundedCache(
    _facts_budget
)


clock = time.monotonic  # what the TTL is measured on (tests move it on)


def forget(issuer_id: int, serial: str) -> None:
    facts_by_serial.pop((issuer_id, serial))


def live_status_of(issuer_id: int, serial: str, now: datetime) -> tuple[SingleStatus, bool]:
    """``status_of`` for the /ocsp path: one indexed query in plain SQL, or this process's
    memory for JITSUIN_OCSP_CACHE_TTL; (status, whether the database was read)."""
    revoked_ca = issuers.revoked_ancestor(issuer_id, now)
    key = (issuer_id, serial)
    ttl = timings().ocsp_cache_ttl.total_seconds()
    read_at = clock()
    hit = facts_by_serial.get(key)
    if hit is not None and read_at - hit[1] < ttl:
        return _status(hit[0], revoked_ca, now), False
    facts = _read_facts(issuer_id, serial)
    if ttl > 0:
        facts_by_serial.put(key, (facts, read_at), FACTS_SIZE)
    return _status(facts, revoked_ca, now), True


def _status(facts: Facts, revoked_ca: IssuerInfo | None, now: datetime) -> SingleStatus:
    if not facts.known:
        return SingleStatus(CertStatus.UNKNOWN)
    if facts.revoked and facts.revoked_at is not None and facts.revoked_at <= now:
        return SingleStatus(
            CertStatus.REVOKED, facts.revoked_at, reason_flag(facts.revocation_reason)
        )
    if revoked_ca is not None:
        # RFC 6960 2.7: every certificate of a revoked CA may be answered as revoked.
        reason = reason_flag(revoked_ca.revocation_reason)
        if reason in (None, x509.ReasonFlags.key_compromise):
            reason = x509.ReasonFlags.ca_compromise
        return SingleStatus(CertStatus.REVOKED, revoked_ca.revoked_at, reason)
    return SingleStatus(CertStatus.GOOD)
