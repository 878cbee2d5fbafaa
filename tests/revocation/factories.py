"""Certificates for revocation tests, made by the pki core and stored as lifecycle rows.

The worker records them in production with ``lifecycle.certificates``; these factories call
the same ``record_issued`` and ``record_revocation`` (with a request made for the purpose), so
publishing and the e-mails react exactly as they would there.
"""

from __future__ import annotations

import itertools
import uuid
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
from jitsuin.connectors.base import Issued as IssuedResult
from jitsuin.connectors.base import Revoked
from jitsuin.lifecycle import pipeline, services
from jitsuin.lifecycle.certificates import record_issued, record_revocation
from jitsuin.lifecycle.models import Certificate, Person, Profile, Request, RequestKind
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.issuance import issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.names import person_subject
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12
from jitsuin.pki.profiles import CLIENT_AUTH

_counter = itertools.count(1)
PEM = serialization.Encoding.PEM
WORKER = "system:worker"


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
    """A P-256 client certificate under ``authority``, recorded as the worker does."""
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
    now = timezone.now()
    with transaction.atomic():
        person, _ = Person.objects.get_or_create(
            uid=uid, defaults={"email": f"{uid}@example.ac.jp"}
        )
        request = _processing(RequestKind.ISSUE, person, now)
        result = IssuedResult(certificate, [certificate_of(authority)], authority=authority)
        row = record_issued(request, result, now, actor=WORKER)
    return Issued(row=row, certificate=certificate, key=key, issuer=authority)


def _processing(
    kind: str, person: Person, now: datetime, *, target: Certificate | None = None, reason=""
) -> Request:
    """A request the worker has claimed, as the pipeline hands it to lifecycle.certificates."""
    return Request.objects.create(
        kind=kind,
        person=person,
        profile=_profile(),
        target=target,
        reason=reason,
        state="processing",
        state_changed_at=now,
        created_at=now,
        requested_by="test",
        idempotency_key=f"factory-{next(_counter)}",
    )


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
    """Revoked from ``at`` (default now) as the worker records it."""
    now = timezone.now()
    with transaction.atomic():
        person = issued.row.person
        request = _processing(RequestKind.REVOKE, person, now, target=issued.row, reason=reason)
        return record_revocation(request, Revoked(revoked_at=at or now), now, actor=WORKER)


def revoke_as_the_portal_does(issued: Issued, *, reason: str = "keyCompromise") -> Certificate:
    """The holder's "revoke" in the portal (its view calls ``request_revoke``), then the
    worker's processing of the request (``pipeline.advance``): revoked, OCSP re-signed, the
    CRL scheduled after JITSUIN_CRL_DEBOUNCE. Not the HTTP form itself (sign-in, CSRF)."""
    request = services.request_revoke(
        issued.row,
        actor=f"user:{issued.row.person.uid}",
        idempotency_key=uuid.uuid4().hex,
        reason=reason,
    )
    outcome = pipeline.advance(request.pk, worker_id="test-worker")
    if outcome != "revoked":
        raise RuntimeError(f"the revocation request ended {outcome!r}")
    issued.row.refresh_from_db()
    return issued.row
