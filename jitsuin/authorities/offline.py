"""The online half of an offline root: import it, ask for intermediates and root CRLs, import
the answers signed at a ceremony (``jitsuin.pki.offline``, ``jitsuin ca offline sign``).

The root's row holds ``offline:<slug>`` instead of a key reference: nothing online can sign
with it. Its CRL comes only from ceremonies, so it lives long (180 days by default) and the
health check warns ``OFFLINE_CRL_WARNING`` ahead of its nextUpdate, not days before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.utils import timezone

from jitsuin.audit.services import record
from jitsuin.authorities.keys import key_store, new_ca_key
from jitsuin.authorities.models import (
    Authority,
    AuthorityStatus,
    PublishedCrl,
    Role,
)
from jitsuin.authorities.publishing.crl import record_crl
from jitsuin.authorities.services import (
    AuthorityError,
    authority_row,
    ca_key_spec,
    ca_name,
    certificate_of,
    issue_ocsp_signer,
    unique_slug,
)
from jitsuin.pki.clock import SystemClock
from jitsuin.pki.crl import crl_number_of
from jitsuin.pki.issuance import signature_hash
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.offline import OFFLINE_SCHEME, OfflineError, crl_from, document, new_request_id


def offline_roots() -> list[Authority]:
    return list(Authority.objects.roots().filter(key_ref__startswith=OFFLINE_SCHEME))


def import_root(doc: dict[str, Any], *, actor: str) -> Authority:
    """Register the root of a ``root`` document with its first CRL."""
    try:
        certificate = x509.load_pem_x509_certificate(str(doc["certificate_pem"]).encode())
    except (KeyError, ValueError) as exc:
        raise OfflineError("the root document holds no readable certificate") from exc
    certificate.verify_directly_issued_by(certificate)
    name, slug = str(doc.get("name", "")), str(doc.get("slug", ""))
    with transaction.atomic():
        if Authority.objects.filter(name=name).exists() or unique_slug(slug) != slug:
            raise AuthorityError(f"an authority named {name!r} or {slug!r} already exists")
        root = authority_row(
            certificate, name=name, slug=slug, role=Role.ROOT, key_ref=f"{OFFLINE_SCHEME}{slug}"
        )
        root.status = AuthorityStatus.ACTIVE
        root.activated_at = timezone.now()
        root.save()
        record("authority.created", actor=actor, obj=root, data={"name": name, "offline": True})
        _store_crl(root, doc, actor=actor)
    root.refresh_from_db()
    return root


def request_intermediate(
    name: str, *, root: Authority, key_type: str | None = None, validity_days: int | None = None
) -> dict[str, Any]:
    """A new intermediate's key (made here: file store or token) and its signing request."""
    if not root.kept_offline:
        raise AuthorityError(
            f"{root.name} is not an offline root: use `jitsuin ca create-intermediate`"
        )
    if Authority.objects.filter(name=name).exists():
        raise AuthorityError(f"an authority named {name!r} already exists")
    key_ref = new_ca_key(ca_key_spec(key_type), unique_slug(name))
    key = key_store().get(key_ref)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(ca_name(name))
        .sign(key, signature_hash(key))
    )
    doc = document(
        "intermediate-request",
        request_id=new_request_id(),
        root_fingerprint=root.fingerprint_sha256,
        name=name,
        key_ref=key_ref,
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode(),
    )
    if validity_days is not None:
        doc["validity_days"] = validity_days
    with transaction.atomic():
        record(
            "authority.intermediate_requested",
            obj=root,
            data={"name": name, "request_id": doc["request_id"], "key_ref": key_ref},
        )
    return doc


def import_intermediate(doc: dict[str, Any], *, actor: str) -> Authority:
    """The intermediate of an ``intermediate`` answer, pending until `jitsuin ca activate`,
    with its OCSP responder and first CRL (both signed here, by the intermediate)."""
    from jitsuin.authorities.publishing.crl import publish_crl

    try:
        certificate = x509.load_pem_x509_certificate(str(doc["certificate_pem"]).encode())
        key = key_store().get(str(doc["key_ref"]))
    except (KeyError, ValueError) as exc:
        raise OfflineError("the answer holds no readable certificate or key reference") from exc
    if key.public_key() != certificate.public_key():
        raise OfflineError("the certificate is not for the key this request made")
    root = _issuer_root(certificate)
    name = str(doc.get("name", "")) or certificate.subject.rfc4514_string()
    with transaction.atomic():
        if Authority.objects.filter(fingerprint_sha256=fingerprint_sha256(certificate)).exists():
            raise AuthorityError(f"{name} is already imported")
        intermediate = authority_row(
            certificate,
            name=name,
            slug=unique_slug(name),
            role=Role.INTERMEDIATE,
            key_ref=str(doc["key_ref"]),
        )
        intermediate.parent = root
        issue_ocsp_signer(intermediate, SystemClock())
        intermediate.save()
        record(
            "authority.created",
            actor=actor,
            obj=intermediate,
            data={"name": name, "parent": root.name, "signed_offline": True},
        )
        publish_crl(intermediate, actor=actor)
    return intermediate


def crl_request(root: Authority, *, now: datetime | None = None) -> dict[str, Any]:
    """What the root's next CRL must list: its intermediates revoked by ``now``."""
    now = now or timezone.now()
    children = Authority.objects.filter(parent=root, revoked_at__lte=now).order_by("revoked_at")
    entries = [
        {
            "name": child.name,
            "serial": int(certificate_of(child).serial_number),
            "revoked_at": child.revoked_at.isoformat() if child.revoked_at else "",
            "reason": child.revocation_reason,
        }
        for child in children
    ]
    return document(
        "crl-request",
        request_id=new_request_id(),
        root_fingerprint=root.fingerprint_sha256,
        after_number=root.crl_number,
        entries=entries,
    )


def import_crl(doc: dict[str, Any], *, actor: str) -> PublishedCrl:
    crl = crl_from(doc)
    root = next(
        (r for r in offline_roots() if crl.issuer == certificate_of(r).subject),
        None,
    )
    if root is None:
        raise OfflineError("the CRL is not of an offline root known here")
    with transaction.atomic():
        return _store_crl(root, doc, actor=actor)


def _store_crl(root: Authority, doc: dict[str, Any], *, actor: str) -> PublishedCrl:
    crl = crl_from(doc)
    try:
        row = record_crl(
            root, crl, crl.public_bytes(serialization.Encoding.DER), actor=actor,
            data={"signed_offline": True},
        )  # fmt: skip
    except ValueError as exc:
        raise OfflineError(str(exc)) from exc
    if row is None:
        raise OfflineError(f"CRL number {crl_number_of(crl)} is not newer than the one published")
    return row


def _issuer_root(certificate: x509.Certificate) -> Authority:
    for root in offline_roots():
        try:
            certificate.verify_directly_issued_by(certificate_of(root))
        except (ValueError, TypeError, InvalidSignature):
            continue
        return root
    raise OfflineError("the certificate is not signed by an offline root known here")
