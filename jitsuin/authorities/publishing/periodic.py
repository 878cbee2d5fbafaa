"""Publishing's periodic job: scheduled CA revocations, responders near expiry, CRLs due, OCSP
responses near nextUpdate, sightings, staleness alerts (CRLs, OCSP, relying parties). Run
every minute as the job ``revocation.refresh`` (jitsuin/jobs/schedule.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509

from jitsuin.authorities.models import Authority, AuthorityStatus
from jitsuin.authorities.publishing import crl, health, relying_party_watch
from jitsuin.authorities.publishing.ocsp_signing import refresh_responses, reset_process_caches
from jitsuin.authorities.services import (
    apply_scheduled_revocations,
    ensure_ocsp_signer,
    renew_ocsp_signer,
)
from jitsuin.lifecycle import sightings
from jitsuin.pki.clock import FixedClock

# Delegated responder certificates live 90 days; renew well before a relying party notices.
RENEW_RESPONDER_BEFORE = timedelta(days=30)


def renew_responders(now: datetime) -> list[Authority]:
    """Give every CA without one a delegated OCSP responder (roots made before roots had one),
    and renew responder certificates that expire within 30 days."""
    renewed = []
    live = Authority.objects.online().exclude(status=AuthorityStatus.REVOKED)
    for authority in live.exclude(not_after__lte=now):
        if not authority.ocsp_key_ref or not authority.ocsp_certificate_der:
            renewed.append(ensure_ocsp_signer(authority, clock=FixedClock(now)))
            continue
        certificate = x509.load_der_x509_certificate(bytes(authority.ocsp_certificate_der))
        if certificate.not_valid_after_utc - now < RENEW_RESPONDER_BEFORE:
            renewed.append(renew_ocsp_signer(authority, clock=FixedClock(now)))
    if renewed:
        reset_process_caches()
    return renewed


def refresh(now: datetime) -> None:
    apply_scheduled_revocations(now)
    renew_responders(now)
    crl.refresh_crls(now)
    refresh_responses(now)
    sightings.flush()
    health.alert_staff(now)
    relying_party_watch.alert_staff(now)
