"""Certificates for revocation tests, made by the pki core and stored as lifecycle rows.

The pipeline's services make these rows in production; here a factory does it directly and
sends the same signals, so the revocation app reacts exactly as it would there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import (
    certificate_of,
    create_intermediate,
    init_hierarchy,
    public_urls,
    signer_for,
)
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Person, Profile
from jitsuin.lifecycle.signals import certificate_issued, certificate_revoked
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, person_subject
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12
from jitsuin.pki.profiles import CLIENT_AUTH

_counter = itertools.count(1)
PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class Hierarchy:
    root: Authority
    current: Authority  # the issuing intermediate
    old: Authority  # a second intermediate (retired; tests revoke it)


def make_hierarchy(born: datetime | None = None) -> Hierarchy:
    """A root, an issuing intermediate and an older one, all created 30 days ago."""
    clock = FixedClock(born or timezone.now() - timedelta(days=30))
    result = init_hierarchy(clock=clock)
    old = create_intermediate("Old Issuing CA", parent=result.root, clock=clock)
    return Hierarchy(root=result.root, current=result.intermediate, old=old)


@dataclass(frozen=True)
class Issued:
    row: Certificate
    certificate: x509.Certificate
    key: PrivateKey
    issuer: Authority

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(PEM)

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def chain_pem(self) -> bytes:
        return self.pem + certificate_of(self.issuer).public_bytes(PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def pkcs12(self, pin: str) -> bytes:
        return build_pkcs12(
            key=self.key,
            certificate=self.certificate,
            chain=[certificate_of(self.issuer)],
            pin=pin,
            profile=Pkcs12Profile.COMPATIBLE,
            friendly_name="test",
        )


def _profile() -> Profile:
    profile, _ = Profile.objects.get_or_create(
        slug="client", defaults={"name_ja": "クライアント", "name_en": "Client", "key_spec": "p256"}
    )
    return profile


def issue(
    authority: Authority,
    *,
    uid: str | None = None,
    issued_at: datetime | None = None,
    validity: timedelta | None = None,
) -> Issued:
    """A P-256 client certificate under ``authority`` and its row; sends certificate_issued."""
    uid = uid or f"user{next(_counter)}"
    clock = FixedClock(issued_at or timezone.now() - timedelta(days=1))
    key = generate_private_key(KeySpec.parse("p256"))
    profile = CLIENT_AUTH if validity is None else CLIENT_AUTH.with_validity(validity)
    certificate = issue_certificate(
        profile=profile,
        subject=person_subject(common_name=uid, uid=uid, organization="Example University"),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=clock,
        urls=public_urls(),
        email=f"{uid}@example.ac.jp",
    )
    with transaction.atomic():
        person, _ = Person.objects.get_or_create(
            uid=uid, defaults={"email": f"{uid}@example.ac.jp"}
        )
        row = Certificate.objects.create(
            issuer=authority,
            person=person,
            profile=_profile(),
            serial=Serial(certificate.serial_number).db,
            subject=certificate.subject.rfc4514_string(),
            email=f"{uid}@example.ac.jp",
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            fingerprint_sha256=fingerprint_sha256(certificate),
            der=certificate.public_bytes(serialization.Encoding.DER),
        )
        certificate_issued.send(sender=Certificate, certificate=row)
    return Issued(row=row, certificate=certificate, key=key, issuer=authority)


def issue_expired(authority: Authority, *, uid: str | None = None) -> Issued:
    """Valid for one day, ten days ago."""
    return issue(
        authority,
        uid=uid,
        issued_at=timezone.now() - timedelta(days=11),
        validity=timedelta(days=1),
    )


def revoke(
    issued: Issued, *, reason: str = "keyCompromise", at: datetime | None = None
) -> Certificate:
    """What the pipeline's revoke does to the row, with its signal."""
    with transaction.atomic():
        row = Certificate.objects.select_for_update().get(pk=issued.row.pk)
        row.status = CertificateStatus.REVOKED
        row.revoked_at = at or timezone.now()
        row.revocation_reason = reason
        row.save(update_fields=["status", "revoked_at", "revocation_reason"])
        certificate_revoked.send(sender=Certificate, certificate=row)
    return row
