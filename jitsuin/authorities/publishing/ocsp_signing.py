"""Signing OCSP responses: live (nonce requests, missing rows) and ahead of time (RFC 5019).

Every CA, the root included, answers through a delegated responder certificate: the web
processes load responder keys only, never a CA key. A CA without a responder yet (a root made
before roots had one; the periodic job gives it one) is answered from the store, or
``tryLater`` when nothing is stored.
"""

from __future__ import annotations

import threading
from datetime import datetime

from django.utils import timezone

from jitsuin.authorities.models import Authority, OcspResponse, OcspStatus
from jitsuin.authorities.publishing import ocsp_store
from jitsuin.authorities.publishing.ocsp_status import facts_by_serial, issuers, status_of
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import certificate_of, ensure_ocsp_signer, ocsp_signer_for
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.issuance import Signer
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.names import Serial
from jitsuin.pki.ocsp import (
    CertId,
    PreparedResponder,
    SingleStatus,
    cert_id_for,
    prepare_responder,
    sign_response,
)

_signers: dict[tuple[int, str], Signer] = {}
# The same responders ready to sign: key, responder ID and certificates set once per process.
_prepared: dict[tuple[int, str], PreparedResponder] = {}
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


def prepared_for(authority: Authority) -> PreparedResponder:
    """``responder_for(authority)`` ready to sign, with the certificates its answers carry.

    An intermediate's certificate goes along so that root-only relying parties can chain the
    responder; a root's responder chains to the anchor they already have.
    """
    key = (authority.pk, authority.ocsp_key_ref)
    prepared = _prepared.get(key)
    if prepared is None:
        extra = (certificate_of(authority),) if authority.parent_id else ()
        prepared = prepare_responder(responder_for(authority), extra)
        with _signers_lock:
            _prepared[key] = prepared
    return prepared


def reset_process_caches() -> None:
    """After an authority changed in this process (revoked, new responder): forget this
    process's CA index, responder keys and cached answers."""
    issuers.invalidate()
    facts_by_serial.clear()
    ocsp_store.stored_responses.clear()
    ocsp_store.answers_by_cert_id.clear()
    with _signers_lock:
        _signers.clear()
        _prepared.clear()


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
        responder = prepared_for(authority)
    except KeyStoreError:
        # The responder was renewed by another process and the old key destroyed: re-read.
        issuers.invalidate()
        authority = Authority.objects.get(pk=authority.pk)
        responder = prepared_for(authority)
    der = sign_response(
        cert_id,
        answer,
        responder=responder,
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
    if authority.upstream:
        return  # the national service answers for its own certificates
    if not authority.ocsp_key_ref:
        authority = ensure_ocsp_signer(authority)
        reset_process_caches()
    cert_id = cert_id_for(serial, certificate_of(authority))
    der, answer = sign(authority, cert_id, now)
    ocsp_store.store(authority.pk, Serial(serial).db, answer.status, der, now)


def presign_certificate(certificate: Certificate, *, now: datetime | None = None) -> None:
    presign(certificate.issuer, certificate.serial_int, now=now)


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
            # Both tables store Serial(...).db.
            if not OcspResponse.objects.filter(
                issuer_id=ca.parent_id, serial=ca.serial, status=OcspStatus.REVOKED
            ).exists():
                stale.append((ca.parent_id, ca.serial))
    for issuer_id, serial in stale:
        presign(authorities[issuer_id], Serial.parse(serial).value, now=now)
    return len(stale)


def _descendants(authority: Authority) -> list[int]:
    found, frontier = [authority.pk], [authority.pk]
    while frontier:
        frontier = list(
            Authority.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        found.extend(frontier)
    return found
