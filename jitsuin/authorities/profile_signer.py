"""The key and certificate that sign Wi-Fi onboarding profiles, issued and renewed on demand.

The issuing intermediate signs a PROFILE_SIGNER certificate (emailProtection, digitalSignature
only) for a fresh P-256 key kept in the CA key store, as it does for its OCSP responder. A
signer is reused until fewer than RENEW_BEFORE days are left, unless it already ends with its
issuer (a certificate never outlives its issuer; FIELD-NOTES). A new issuing intermediate gets
its own signer on first use.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction

from jitsuin.audit.services import record
from jitsuin.authorities.keys import key_store
from jitsuin.authorities.models import Authority, ProfileSigner, Role
from jitsuin.authorities.services import (
    AuthorityError,
    ca_name,
    certificate_of,
    chain_of,
    issuing_authority,
    public_urls,
    signer_for,
)
from jitsuin.pki.clock import FixedClock, SystemClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial
from jitsuin.pki.onboarding import SigningIdentity
from jitsuin.pki.profiles import PROFILE_SIGNER

RENEW_BEFORE = timedelta(days=30)
SIGNER_KEY = KeySpec.parse("p256")
# Losing a race to another process is retried; more than this many losses is a fault.
ATTEMPTS = 3


def _needs_new(latest: ProfileSigner | None, issuer: Authority, now: datetime) -> bool:
    if latest is None or latest.not_after <= now or latest.not_before > now:
        return True
    # One that ends with its issuer cannot be bettered; it serves until then.
    return latest.not_after - now < RENEW_BEFORE and latest.not_after < issuer.not_after


def _identity(signer: ProfileSigner) -> SigningIdentity:
    chain = tuple(certificate_of(a) for a in chain_of(signer.issuer) if a.role != Role.ROOT)
    return SigningIdentity(
        key=key_store().get(signer.key_ref),
        certificate=x509.load_pem_x509_certificate(signer.certificate_pem.encode()),
        chain=chain,
    )


def _issue(issuer: Authority, replaces: ProfileSigner | None, now: datetime) -> ProfileSigner:
    """Sign a new certificate and store it; the caller's transaction holds the row."""
    key = generate_private_key(SIGNER_KEY)
    certificate = issue_certificate(
        profile=PROFILE_SIGNER,
        subject=ca_name(f"{issuer.name} Wi-Fi Profile Signer"),
        public_key=key.public_key(),
        signer=signer_for(issuer),
        clock=FixedClock(now),
        urls=public_urls(),
        not_after=min(now + PROFILE_SIGNER.validity, issuer.not_after),
    )
    key_ref = key_store().put(key, f"{issuer.slug}-profile-signer")
    try:
        with transaction.atomic():
            signer = ProfileSigner.objects.create(
                issuer=issuer,
                replaces=replaces,
                certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
                key_ref=key_ref,
                serial=Serial(certificate.serial_number).db,
                fingerprint_sha256=fingerprint_sha256(certificate),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
            )
    except IntegrityError:
        key_store().destroy(key_ref)  # another process won; its signer is the one to use
        raise
    record(
        "profile_signer.issued",
        obj=signer,
        data={
            "issuer": issuer.name,
            "serial": signer.serial,
            "not_after": signer.not_after.isoformat(),
            "replaces": replaces.serial if replaces else None,
        },
        at=now,
    )
    if replaces is not None and replaces.key_ref:
        old_ref = replaces.key_ref
        ProfileSigner.objects.filter(pk=replaces.pk).update(key_ref="")
        transaction.on_commit(lambda: key_store().destroy(old_ref))
    return signer


def _usable_or_new(now: datetime) -> ProfileSigner:
    issuer = issuing_authority()
    latest = ProfileSigner.objects.latest_for(issuer)
    if not _needs_new(latest, issuer, now):
        assert latest is not None
        return latest  # the usual case: no lock taken
    with transaction.atomic():
        issuer = Authority.objects.select_for_update().get(pk=issuer.pk)
        latest = ProfileSigner.objects.latest_for(issuer)
        if not _needs_new(latest, issuer, now):
            assert latest is not None
            return latest
        return _issue(issuer, latest, now)


def current_profile_signer(now: datetime | None = None) -> SigningIdentity:
    """A valid profile-signing key and certificate (with its intermediates) under the issuing CA.

    Issues the first one, or a renewal when fewer than RENEW_BEFORE days are left. Safe when
    several processes ask at once: the issuing CA's row is locked (PostgreSQL) and the
    ``replaces`` constraints let only one renewal win (SQLite too); the others read it.
    """
    now = now or SystemClock().now()
    for _ in range(ATTEMPTS):
        try:
            return _identity(_usable_or_new(now))
        except IntegrityError:
            continue  # another process issued the signer a moment ago: read it
    raise AuthorityError("could not issue a profile signer: other processes kept racing")
