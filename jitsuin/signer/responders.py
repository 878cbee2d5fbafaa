"""Delegated OCSP responder certificates for an RA's own keys.

The RA signs its OCSP answers itself with a responder key it generated (only the public key
travels); the signer certifies it for one of its CAs with the OCSP-signing profile, as it does
its own responders. The RA then needs no CA key for OCSP (docs/signer.md says what it trusts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import transaction

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import ca_name, loaded_signer, public_urls
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.errors import PkiError
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.profiles import OCSP_SIGNER
from jitsuin.signer.models import RegisteredRa
from jitsuin.signer.orders import actor_of
from jitsuin.signer.policy import Refused


def responder_certificate(
    ra: RegisteredRa, body: dict[str, Any], now: datetime
) -> x509.Certificate:
    fingerprint = str(body.get("issuer_fingerprint", "")).lower()
    authority = Authority.objects.filter(fingerprint_sha256=fingerprint).first()
    if authority is None:
        raise Refused(f"no CA with fingerprint {fingerprint!r} here", status=404)
    try:
        public_key = serialization.load_pem_public_key(str(body.get("public_key", "")).encode())
    except ValueError as exc:
        raise Refused("public_key: not a PEM SubjectPublicKeyInfo", status=400) from exc
    try:
        certificate = issue_certificate(
            profile=OCSP_SIGNER,
            subject=ca_name(f"{authority.name} OCSP Responder ({ra.name})"),
            public_key=public_key,
            signer=loaded_signer(authority),
            clock=FixedClock(now),
            urls=public_urls(),
        )
    except PkiError as exc:
        raise Refused(str(exc)) from exc
    with transaction.atomic():
        record(
            "signer.responder_certified",
            actor=actor_of(ra),
            obj=authority,
            at=now,
            data={
                "fingerprint": fingerprint_sha256(certificate),
                "not_after": certificate.not_valid_after_utc.isoformat(),
            },
        )
    return certificate
