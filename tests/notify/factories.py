"""People, profiles, certificates and requests for notify and console tests.

Certificates are real: signed by the test hierarchy's issuing CA through the pki core.
``issue`` and ``revoke`` record them as the worker does (``lifecycle.certificates``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction

from jitsuin.authorities.services import (
    certificate_of,
    issuing_authority,
    public_urls,
    signer_for,
)
from jitsuin.connectors.base import Issued, Revoked
from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.certificates import record_issued, record_revocation
from jitsuin.lifecycle.models import Certificate, Person, Profile, Request, RequestTransition
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial, person_subject
from jitsuin.pki.profiles import end_entity_profile

_numbers = count(1)
__all__ = [
    "certificate",
    "issue",
    "person",
    "profile",
    "request",
    "revoke",
    "run",
]
WORKER = "system:worker"


def person(uid: str | None = None, *, language: str = "ja", **fields: object) -> Person:
    uid = uid or f"s{next(_numbers):05d}"
    defaults = {
        "email": f"{uid}@example.ac.jp",
        "name_ja": f"北陸 太郎{uid[-2:]}",
        "name_en": f"Taro Hokuriku {uid[-2:]}",
        "language": language,
    }
    defaults.update(fields)
    return Person.objects.create(uid=uid, **defaults)


def profile() -> Profile:
    found = Profile.objects.filter(slug="client").first()
    if found:
        return found
    return Profile.objects.create(
        slug="client", name_ja="クライアント証明書", name_en="Client certificate", is_default=True
    )


def _signed(
    owner: Person, *, at: datetime, validity: timedelta, key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    return issue_certificate(
        profile=end_entity_profile("client-auth", validity),
        subject=person_subject(common_name=owner.name_en, uid=owner.uid),
        public_key=key.public_key(),
        signer=signer_for(issuing_authority()),
        clock=FixedClock(at),
        urls=public_urls(),
        email=owner.email,
    )


def certificate(
    owner: Person, *, at: datetime, validity: timedelta = timedelta(days=365)
) -> Certificate:
    """A certificate row only, as if imported: no request, no e-mail."""
    authority = issuing_authority()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        profile=end_entity_profile("client-auth", validity),
        subject=person_subject(common_name=owner.name_en, uid=owner.uid),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=FixedClock(at),
        urls=public_urls(),
        email=owner.email,
    )
    return Certificate.objects.create(
        issuer=authority,
        person=owner,
        profile=profile(),
        serial=Serial(cert.serial_number).db,
        subject=cert.subject.rfc4514_string(),
        email=owner.email,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=fingerprint_sha256(cert),
        der=cert.public_bytes(Encoding.DER),
    )


def request(
    owner: Person,
    *,
    at: datetime,
    kind: str = "issue",
    state: str = "queued",
    target: Certificate | None = None,
    **fields: object,
) -> Request:
    created = Request.objects.create(
        kind=kind,
        person=owner,
        profile=profile(),
        target=target,
        state=state,
        state_changed_at=at,
        created_at=at,
        requested_by=f"user:{owner.uid}",
        idempotency_key=f"test-{next(_numbers)}",
        **fields,
    )
    RequestTransition.objects.create(
        request=created, from_state="", to_state="queued", at=at, actor=f"user:{owner.uid}"
    )
    return created


def issue(owner: Person, *, at: datetime, with_key: bool = True) -> Certificate:
    """A certificate issued for ``owner`` at ``at`` as the worker records it: with a pickup
    (``with_key``) or, as from a CSR, without; publishing and e-mails included."""
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _signed(owner, at=at, validity=timedelta(days=365), key=key)
    result = Issued(
        certificate=leaf,
        chain=[certificate_of(issuing_authority())],
        private_key=key if with_key else None,
    )
    with transaction.atomic():
        processing = request(owner, at=at, state="processing")
        return record_issued(processing, result, at, actor=WORKER)


def revoke(certificate: Certificate, *, at: datetime, reason: str = "superseded") -> Certificate:
    """``certificate`` revoked at ``at`` as the worker records it (a revoke request done)."""
    with transaction.atomic():
        processing = request(
            certificate.person,
            at=at,
            kind="revoke",
            state="processing",
            target=certificate,
            reason=reason,
        )
        return record_revocation(processing, Revoked(revoked_at=at), at, actor=WORKER)


def run(request: Request) -> Request:
    """Advance ``request`` through the real pipeline until it is no longer open."""
    for _ in range(5):
        pipeline.advance(request.pk, worker_id="t")
        request.refresh_from_db()
        if not request.is_open:
            break
    return request
