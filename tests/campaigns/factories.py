"""A switchover scene built by the real services and the pki core, pinned to named instants.

Signing thousands of certificates is slow, so ``holders`` signs a few real certificates per
intermediate and reuses their DER for the rest with distinct serials and fingerprints: the
campaign code only reads the rows (issuer, person, validity, status, last seen), never the DER.
Tests that hand a certificate to a real peer use ``real_certificate`` instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.authorities.services import (
    certificate_of,
    create_intermediate,
    init_hierarchy,
    public_urls,
    signer_for,
)
from jitsuin.campaigns import services
from jitsuin.campaigns.models import Campaign
from jitsuin.lifecycle.models import Certificate, Person, Profile, RolloverPolicy
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, new_serial, person_subject
from jitsuin.pki.profiles import end_entity_profile

# Named instants.
PKI_BORN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OLD_CERTS_ISSUED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
NEW_CA_CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUTOFF = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
DURING_CAMPAIGN = datetime(2026, 5, 11, 3, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
AFTER_DEADLINE = DEADLINE + timedelta(hours=1)


@dataclass
class Scene:
    root: Authority
    old: Authority
    new: Authority
    profiles: dict[str, Profile]


def profiles() -> dict[str, Profile]:
    made = {}
    for policy in RolloverPolicy:
        made[policy.value] = Profile.objects.create(
            slug=f"client-{policy.value}",
            name_ja=f"クライアント ({policy.value})",
            name_en=f"Client ({policy.value})",
            rollover_policy=policy.value,
            validity_days=365,
            key_spec="p256",
        )
    return made


def scene() -> Scene:
    """Root and old intermediate born at PKI_BORN; the new intermediate made (pending) later."""
    hierarchy = init_hierarchy(
        root_name="Example Univ Root CA",
        intermediate_name="Example Univ Client CA G1",
        clock=FixedClock(PKI_BORN),
    )
    new = create_intermediate("Example Univ Client CA G2", clock=FixedClock(NEW_CA_CREATED))
    return Scene(root=hierarchy.root, old=hierarchy.intermediate, new=new, profiles=profiles())


@dataclass(frozen=True)
class RealCertificate:
    certificate: x509.Certificate
    key: PrivateKey
    row: Certificate

    @property
    def chain_pem(self) -> bytes:
        issuer = certificate_of(self.row.issuer)
        return self.certificate.public_bytes(serialization.Encoding.PEM) + issuer.public_bytes(
            serialization.Encoding.PEM
        )


def real_certificate(
    person: Person, authority: Authority, profile: Profile, *, at: datetime
) -> RealCertificate:
    """A certificate signed by ``authority`` for ``person`` and its row."""
    key = generate_private_key(KeySpec.parse("p256"))
    certificate = issue_certificate(
        profile=end_entity_profile(profile.template, profile.validity),
        subject=person_subject(common_name=person.name_en or person.uid, uid=person.uid),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=FixedClock(at),
        urls=public_urls(),
        email=person.email,
    )
    row = Certificate.objects.create(
        issuer=authority,
        person=person,
        profile=profile,
        serial=Serial(certificate.serial_number).db,
        subject=certificate.subject.rfc4514_string(),
        email=person.email,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint_sha256=fingerprint_sha256(certificate),
        der=certificate.public_bytes(serialization.Encoding.DER),
    )
    return RealCertificate(certificate, key, row)


def _sample(authority: Authority, profile: Profile, *, at: datetime) -> x509.Certificate:
    key = generate_private_key(KeySpec.parse("p256"))
    return issue_certificate(
        profile=end_entity_profile(profile.template, profile.validity),
        subject=person_subject(common_name="sample", uid="sample"),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=FixedClock(at),
        urls=public_urls(),
        email="sample@example.ac.jp",
    )


def people(n: int, *, prefix: str = "s", language_every: int = 5) -> list[Person]:
    """``n`` people; every ``language_every``-th prefers English."""
    Person.objects.bulk_create(
        Person(
            uid=f"{prefix}{i:06d}",
            email=f"{prefix}{i:06d}@example.ac.jp",
            name_ja=f"利用者 {i}",
            name_en=f"User {i}",
            language="en" if i % language_every == 0 else "ja",
        )
        for i in range(n)
    )
    return list(Person.objects.filter(uid__startswith=prefix).order_by("uid"))


def holders(
    persons: list[Person],
    authority: Authority,
    profile_for: dict[int, Profile] | Profile,
    *,
    at: datetime,
    real: int = 3,
    seen_at: dict[int, datetime] | None = None,
    batch: int = 2000,
) -> int:
    """One certificate per person from ``authority``; ``real`` are signed, the rest reuse DER."""

    def profile_of(person: Person) -> Profile:
        return profile_for if isinstance(profile_for, Profile) else profile_for[person.pk]

    samples = [
        real_certificate(p, authority, profile_of(p), at=at).certificate for p in persons[:real]
    ] or [_sample(authority, profile_of(persons[0]), at=at)]
    rows = []
    for index, person in enumerate(persons[real:], start=real):
        sample = samples[index % len(samples)]
        serial = Serial(new_serial()).db
        profile = profile_of(person)
        rows.append(
            Certificate(
                issuer=authority,
                person=person,
                profile=profile,
                serial=serial,
                subject=f"CN={person.name_en},UID={person.uid}",
                email=person.email,
                not_before=sample.not_valid_before_utc,
                not_after=sample.not_valid_after_utc,
                fingerprint_sha256=hashlib.sha256(f"{authority.pk}:{serial}".encode()).hexdigest(),
                der=sample.public_bytes(serialization.Encoding.DER),
                last_seen_at=(seen_at or {}).get(person.pk),
            )
        )
    Certificate.objects.bulk_create(rows, batch_size=batch)
    if seen_at:
        for person in persons[:real]:
            if person.pk in seen_at:
                Certificate.objects.filter(person=person, issuer=authority).update(
                    last_seen_at=seen_at[person.pk]
                )
    return len(persons)


def campaign_starting_now(
    scene: Scene, size: int, *, name: str, real: int = 3, texts: dict[str, str] | None = None
) -> Campaign:
    """A draft campaign whose cut-off was a minute ago: ``size`` holders and fresh CRLs.

    For tests that run on the wall clock (the console pages, the browser).
    """
    now = timezone.now()
    holders(
        people(size), scene.old, scene.profiles["overlap"], at=now - timedelta(days=30), real=real
    )
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=now)
    return services.create_campaign(
        name,
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=now - timedelta(minutes=1),
        deadline=now + timedelta(days=60),
        actor="test",
        texts=texts,
    )
