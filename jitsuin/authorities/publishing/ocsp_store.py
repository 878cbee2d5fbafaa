"""Pre-signed OCSP responses (RFC 5019): kept in ``OcspResponse``, read on the /ocsp hot path
in plain SQL, and remembered in this process for a few seconds.

A request without a nonce and with a SHA-1 CertID is answered from here (signed ahead of
time, re-signed at once on revocation); anything else is signed live (``ocsp_signing``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from cryptography.x509 import ocsp as x509_ocsp
from django.db import connection

from jitsuin.authorities.models import OcspResponse
from jitsuin.authorities.publishing.answer_cache import ByteBoundedCache
from jitsuin.authorities.publishing.ocsp_status import forget
from jitsuin.authorities.publishing.settings import timings
from jitsuin.config import current as current_config
from jitsuin.pki.ocsp import CertStatus

# One statement instead of update_or_create's savepoint, locking SELECT and INSERT: a retried
# transaction or a repeated call replaces the row. Plain SQL: the ORM's query building costs
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
    drop_cached_answer(issuer_id, serial)
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


def store_many(answers: list[tuple[int, str, CertStatus, bytes]], now: datetime) -> None:
    """``store`` for several answers signed at ``now``, in one statement: (issuer id, serial,
    status, DER) each (a batch of certificates issued together)."""
    if connection.vendor not in ("sqlite", "postgresql") or len(answers) < 2:
        for issuer_id, serial, status, der in answers:
            store(issuer_id, serial, status, der, now)
        return
    next_update = now + timings().ocsp_validity
    adapt = connection.ops.adapt_datetimefield_value
    params: list[object] = []
    for issuer_id, serial, status, der in answers:
        drop_cached_answer(issuer_id, serial)
        params += [issuer_id, serial, status.value, der, adapt(now), adapt(next_update)]
    head, tail = _UPSERT_SQL.split(" VALUES (%s, %s, %s, %s, %s, %s) ")
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(answers))
    with connection.cursor() as cursor:
        cursor.execute(f"{head} VALUES {rows} {tail}", params)


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
    """3/8 of JITSUIN_OCSP_CACHE_BYTES for each of the two caches below (the live path's
    certificate facts, ``ocsp_status.facts_by_serial``, have the last quarter)."""
    return current_config().ocsp_cache_bytes * 3 // 8


# (issuer, serial) -> a stored response, its thisUpdate and nextUpdate, when it was read.
stored_responses: ByteBoundedCache[tuple[int, str], tuple[bytes, datetime, datetime, float]] = (
    ByteBoundedCache(_cache_budget)
)
# An RFC 5019 CertID (a relying party asks again and again) -> the answer (the HTTP edge's
# OcspAnswer), its issuer, serial and nextUpdate, and when it was remembered: a repeat skips
# every look-up. Like stored_responses, it is trusted for JITSUIN_OCSP_CACHE_TTL. Nonce
# requests never come here.
answers_by_cert_id: ByteBoundedCache[
    tuple[bytes, bytes, int, str], tuple[Any, int, str, datetime, float]
] = ByteBoundedCache(_cache_budget)


def cache_ttl() -> float:
    """Seconds this process may answer from its memory before re-reading the store."""
    return timings().ocsp_cache_ttl.total_seconds()


def remembered(
    issuer_id: int, serial: str, now: datetime
) -> tuple[bytes, datetime, datetime] | None:
    """A stored response from this process's memory (no database connection on a hit)."""
    ttl = cache_ttl()
    key = (issuer_id, serial)
    hit = stored_responses.get(key)
    clock = time.monotonic()
    if hit is not None and clock - hit[3] < ttl and hit[2] > now:
        return hit[0], hit[1], hit[2]
    stored = _stored(issuer_id, serial, now)
    if stored is not None and ttl > 0:
        stored_responses.put(key, (*stored, clock), len(stored[0]))
    return stored


def drop_cached_answer(issuer_id: int, serial: str) -> None:
    """Drop this process's cached answers for a certificate whose status just changed."""
    stored_responses.pop((issuer_id, serial))
    forget(issuer_id, serial)  # what the live (nonce) path remembers of it
    answers_by_cert_id.clear()  # rare (a signature in this process) next to look-ups
