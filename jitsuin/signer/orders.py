"""The signer's two orders, issue and revoke: checked against the RA's policy, carried out
once per idempotency key, each decision in the signer's own audit chain.

An order's ``digest`` covers everything in it but its key: the same key with the same content
gets the stored result back (no second signature), with other content a 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import (
    AuthorityError,
    certificate_of,
    chain_of,
    issuing_authority,
    loaded_signer,
    public_urls,
)
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import parse_reason
from jitsuin.pki.errors import IssuerExpiresTooSoon, PkiError
from jitsuin.pki.issuance import issue_certificate, issue_from_csr
from jitsuin.pki.names import Serial
from jitsuin.pki.profiles import end_entity_profile
from jitsuin.signer import policy
from jitsuin.signer.models import OrderKind, RegisteredRa, SignerOrder
from jitsuin.signer.policy import Refused

MAX_KEY = 200


def actor_of(ra: RegisteredRa) -> Actor:
    return Actor.token(f"ra/{ra.name}")


def _text(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 20000) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        raise Refused(f"{name}: a text of at most {limit} characters is required", status=400)
    return value


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def chain_json(authority: Authority) -> list[dict[str, str]]:
    """The issuer and the CAs above it, issuer first, as the RA imports them."""
    return [
        {
            "pem": certificate_of(ca).public_bytes(serialization.Encoding.PEM).decode(),
            "name": ca.name,
            "slug": ca.slug,
            "role": ca.role,
        }
        for ca in chain_of(authority)
    ]


def _issued_answer(order: SignerOrder) -> dict[str, Any]:
    certificate = x509.load_der_x509_certificate(bytes(order.certificate_der or b""))
    return {
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "chain": chain_json(order.issuer),
    }


def _revoked_answer(order: SignerOrder) -> dict[str, Any]:
    assert order.revoked_at is not None
    return {"revoked_at": order.revoked_at.isoformat(), "serial": order.serial}


def _replayed(ra: RegisteredRa, key: str, digest: str) -> SignerOrder | None:
    """The order already carried out under ``key``; a 409 when its content differs."""
    order = SignerOrder.objects.select_related("issuer").filter(ra=ra, idempotency_key=key).first()
    if order is not None and order.digest != digest:
        raise Refused(
            f"idempotency key {key!r} was used for another order; use a new key", status=409
        )
    return order


def refuse(ra: RegisteredRa, kind: str, key: object, refusal: Refused, now: datetime) -> None:
    """A refusal is a decision too: into the audit chain."""
    with transaction.atomic():
        record(
            f"signer.{kind}_refused",
            actor=actor_of(ra),
            obj=ra,
            at=now,
            data={"key": str(key)[:MAX_KEY], "status": refusal.status, "reason": str(refusal)},
        )


@dataclass(frozen=True)
class IssueContent:
    profile: str
    subject: x509.Name
    email: str
    validity: timedelta
    csr: str
    public_key: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> IssueContent:
        validity = body.get("validity_seconds")
        if not isinstance(validity, int) or isinstance(validity, bool) or validity <= 0:
            raise Refused("validity_seconds: a positive whole number is required", status=400)
        try:
            subject = x509.Name.from_rfc4514_string(_text(body, "subject", limit=1000))
        except ValueError as exc:
            raise Refused(f"subject: not an RFC 4514 name ({exc})", status=400) from exc
        csr = _text(body, "csr", required=False)
        public_key = _text(body, "public_key", required=False)
        if bool(csr) == bool(public_key):
            raise Refused("give either csr or public_key (PEM), not both", status=400)
        return cls(
            profile=_text(body, "profile", limit=100),
            subject=subject,
            email=_text(body, "email", required=False, limit=254),
            validity=timedelta(seconds=validity),
            csr=csr,
            public_key=public_key,
        )

    def digest(self) -> str:
        return _digest(
            {
                "profile": self.profile,
                "subject": self.subject.rfc4514_string(),
                "email": self.email,
                "validity": int(self.validity.total_seconds()),
                "csr": self.csr.strip(),
                "public_key": self.public_key.strip(),
            }
        )


def _sign(content: IssueContent, authority: Authority, now: datetime) -> x509.Certificate:
    profile = end_entity_profile(content.profile, content.validity)
    common = {
        "profile": profile,
        "subject": content.subject,
        "signer": loaded_signer(authority),
        "clock": FixedClock(now),
        "urls": public_urls(),
        "email": content.email or None,
    }
    try:
        if content.csr:
            return issue_from_csr(content.csr, **common)  # type: ignore[arg-type]
        try:
            public_key = serialization.load_pem_public_key(content.public_key.encode())
        except ValueError as exc:
            raise Refused("public_key: not a PEM SubjectPublicKeyInfo", status=400) from exc
        return issue_certificate(public_key=public_key, **common)  # type: ignore[arg-type]
    except IssuerExpiresTooSoon as exc:
        raise Refused(str(exc)) from exc
    except (PkiError, ValueError) as exc:
        raise Refused(str(exc)) from exc


def issue(ra: RegisteredRa, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Carry out (or replay) an issue order: the certificate PEM and the chain."""
    key = _text(body, "idempotency_key", limit=MAX_KEY)
    content = IssueContent.parse(body)
    digest = content.digest()
    previous = _replayed(ra, key, digest)
    if previous is not None:
        return _issued_answer(previous)
    policy.check_profile(ra, content.profile)
    policy.check_namespace(ra, content.subject, content.email)
    try:
        authority = issuing_authority()
    except AuthorityError as exc:
        raise Refused(str(exc), status=503) from exc
    try:
        with transaction.atomic():
            policy.check_rate(ra, now)
            certificate = _sign(content, authority, now)
            order = SignerOrder.objects.create(
                ra=ra,
                idempotency_key=key,
                kind=OrderKind.ISSUE,
                digest=digest,
                issuer=authority,
                serial=Serial(certificate.serial_number).db,
                certificate_der=certificate.public_bytes(serialization.Encoding.DER),
                created_at=now,
            )
            record(
                "signer.issued",
                actor=actor_of(ra),
                obj=order,
                at=now,
                data={
                    "key": key,
                    "serial": order.serial,
                    "issuer": authority.name,
                    "subject": content.subject.rfc4514_string(),
                    "profile": content.profile,
                    "not_after": certificate.not_valid_after_utc.isoformat(),
                },
            )
    except IntegrityError:
        # The same key at the same moment from another thread: its order stands.
        previous = _replayed(ra, key, digest)
        if previous is None:
            raise
        return _issued_answer(previous)
    return _issued_answer(order)


def revoke(ra: RegisteredRa, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Carry out (or replay) a revoke order for a certificate this RA had issued here."""
    key = _text(body, "idempotency_key", limit=MAX_KEY)
    issuer_fingerprint = _text(body, "issuer_fingerprint", limit=64).lower()
    serial_value = body.get("serial")
    if not isinstance(serial_value, int) or isinstance(serial_value, bool) or serial_value <= 0:
        raise Refused("serial: a positive whole number is required", status=400)
    reason = _text(body, "reason", required=False, limit=40) or "unspecified"
    try:
        parse_reason(reason)
    except ValueError as exc:
        raise Refused(str(exc), status=400) from exc
    serial = Serial(serial_value).db
    digest = _digest({"issuer": issuer_fingerprint, "serial": serial, "reason": reason})
    previous = _replayed(ra, key, digest)
    if previous is not None:
        return _revoked_answer(previous)
    issued = SignerOrder.objects.filter(
        ra=ra,
        kind=OrderKind.ISSUE,
        issuer__fingerprint_sha256=issuer_fingerprint,
        serial=serial,
    ).first()
    if issued is None:
        raise Refused(f"RA {ra.name} had no certificate {serial} issued by this signer", status=404)
    done = SignerOrder.objects.filter(
        kind=OrderKind.REVOKE, issuer_id=issued.issuer_id, serial=serial
    ).first()
    if done is not None:
        return _revoked_answer(done)  # revoked already, under another key
    try:
        with transaction.atomic():
            policy.check_rate(ra, now)
            order = SignerOrder.objects.create(
                ra=ra,
                idempotency_key=key,
                kind=OrderKind.REVOKE,
                digest=digest,
                issuer_id=issued.issuer_id,
                serial=serial,
                revoked_at=now,
                reason=reason,
                created_at=now,
            )
            record(
                "signer.revoked",
                actor=actor_of(ra),
                obj=order,
                at=now,
                data={"key": key, "serial": serial, "reason": reason},
            )
    except IntegrityError:
        previous = (
            _replayed(ra, key, digest)
            or SignerOrder.objects.filter(
                kind=OrderKind.REVOKE, issuer_id=issued.issuer_id, serial=serial
            ).first()
        )
        if previous is None:
            raise
        return _revoked_answer(previous)
    return _revoked_answer(order)
