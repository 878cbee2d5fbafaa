"""What jitsuin knows about a serial under one of its CAs, for OCSP answers.

An in-process index of the CAs (by the issuer hashes an OCSP CertID carries, and up the
hierarchy for revoked ancestors), refreshed every few seconds, and ``status_of``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing.crl import reason_flag
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle.lookup import certificate_for, child_authority_for
from jitsuin.lifecycle.models import CertificateStatus
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
    """What jitsuin knows about ``serial`` under issuer ``issuer_id`` at ``now``."""
    revoked_ca = issuers.revoked_ancestor(issuer_id, now)
    row = certificate_for(issuer_id, serial)
    if row is not None:
        if row.status == CertificateStatus.REVOKED and row.revoked_at and row.revoked_at <= now:
            return SingleStatus(
                CertStatus.REVOKED, row.revoked_at, reason_flag(row.revocation_reason)
            )
    else:
        child = child_authority_for(issuer_id, serial)
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
