"""CA hierarchy operations. Every change runs in one transaction with its audit event."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils.text import slugify

from jitsuin.audit.services import record
from jitsuin.authorities.keys import key_store, new_ca_key
from jitsuin.authorities.models import Authority, AuthorityStatus, Role
from jitsuin.config import current
from jitsuin.config.parts import CA_KEY_TYPES
from jitsuin.pki.clock import Clock, SystemClock
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.names import Serial
from jitsuin.pki.profiles import INTERMEDIATE_CA, OCSP_SIGNER, ROOT_CA, CertificateProfile

DEFAULT_ROOT_NAME = "jitsuin Demo Root CA"
DEFAULT_INTERMEDIATE_NAME = "jitsuin Demo Issuing CA G1"
DEFAULT_OCSP_KEY = KeySpec.parse("p256")


class AuthorityError(Exception):
    """A CA operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class HierarchyResult:
    root: Authority
    intermediate: Authority
    created: bool


def public_urls() -> PublicUrls:
    return PublicUrls(current().public_url)


def ca_name(common_name: str) -> x509.Name:
    organisation = current().organization
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def certificate_of(authority: Authority) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(authority.certificate_der))


def signer_for(authority: Authority) -> Signer:
    """The CA's certificate and key, ready to sign; only this app loads CA keys."""
    return Signer(
        certificate=certificate_of(authority),
        private_key=key_store().get(authority.key_ref),
        slug=authority.slug,
    )


_loaded: dict[tuple[int, str, str], Signer] = {}
_loaded_lock = threading.Lock()


def loaded_signer(authority: Authority) -> Signer:
    """``signer_for(authority)``, loaded once per process and key (a decryption or a token
    look-up): keys never change under a key reference, a new CA is a new entry."""
    cache_key = (authority.pk, authority.key_ref, authority.fingerprint_sha256)
    with _loaded_lock:
        signer = _loaded.get(cache_key)
    if signer is None:
        signer = signer_for(authority)
        with _loaded_lock:
            _loaded[cache_key] = signer
    return signer


def ocsp_signer_for(authority: Authority) -> Signer:
    if not authority.ocsp_certificate_der or not authority.ocsp_key_ref:
        raise AuthorityError(f"{authority.name} has no OCSP responder certificate")
    return Signer(
        certificate=x509.load_der_x509_certificate(bytes(authority.ocsp_certificate_der)),
        private_key=key_store().get(authority.ocsp_key_ref),
        slug=authority.slug,
    )


def unique_slug(name: str) -> str:
    base = slugify(name) or "ca"
    slug, n = base, 2
    while Authority.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def authority_row(
    certificate: x509.Certificate, *, name: str, slug: str, role: str, key_ref: str
) -> Authority:
    return Authority(
        name=name,
        slug=slug,
        role=role,
        certificate_der=certificate.public_bytes(serialization.Encoding.DER),
        key_ref=key_ref,
        subject=certificate.subject.rfc4514_string(),
        serial=Serial(certificate.serial_number).db,
        fingerprint_sha256=fingerprint_sha256(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def issue_ocsp_signer(authority: Authority, clock: Clock) -> None:
    key = generate_private_key(DEFAULT_OCSP_KEY)
    certificate = issue_certificate(
        profile=OCSP_SIGNER,
        subject=ca_name(f"{authority.name} OCSP Responder"),
        public_key=key.public_key(),
        signer=signer_for(authority),
        clock=clock,
        urls=public_urls(),
    )
    authority.ocsp_key_ref = key_store().put(key, f"{authority.slug}-ocsp")
    authority.ocsp_certificate_der = certificate.public_bytes(serialization.Encoding.DER)


def renew_ocsp_signer(authority: Authority, *, clock: Clock | None = None) -> Authority:
    """A fresh delegated responder certificate (they are short-lived by design)."""
    clock = clock or SystemClock()
    with transaction.atomic():
        authority = Authority.objects.select_for_update().get(pk=authority.pk)
        old_ref = authority.ocsp_key_ref
        issue_ocsp_signer(authority, clock)
        authority.save(update_fields=["ocsp_key_ref", "ocsp_certificate_der"])
        action = "authority.ocsp_signer_renewed" if old_ref else "authority.ocsp_signer_created"
        record(action, obj=authority, data={"name": authority.name})
    if old_ref:
        transaction.on_commit(lambda: key_store().destroy(old_ref))
    return authority


def ensure_ocsp_signer(authority: Authority, *, clock: Clock | None = None) -> Authority:
    """``authority`` with a delegated OCSP responder, issuing one if it has none.

    Roots made before roots had a responder get theirs here (from the periodic job), so
    that OCSP answers about intermediates never need the root's own key.
    """
    if authority.ocsp_key_ref and authority.ocsp_certificate_der:
        return authority
    with transaction.atomic():
        current_row = Authority.objects.select_for_update().get(pk=authority.pk)
        if current_row.ocsp_key_ref and current_row.ocsp_certificate_der:
            return current_row  # another process gave it one a moment ago
        return renew_ocsp_signer(current_row, clock=clock)


def ca_key_spec(key_type: str | None = None) -> KeySpec:
    """The key of a new CA: ``key_type`` (``p384``, ``p256``, ``rsa3072``, ``rsa4096``), else
    ``JITSUIN_CA_KEY_TYPE``."""
    chosen = key_type or current().connector.ca_key_type
    if chosen not in CA_KEY_TYPES:
        raise AuthorityError(
            f"{chosen!r} is not a CA key type; choose one of {', '.join(CA_KEY_TYPES)}"
        )
    return KeySpec.parse(chosen)


def _create_root(
    name: str,
    clock: Clock,
    profile: CertificateProfile = ROOT_CA,
    *,
    key_type: str | None = None,
) -> Authority:
    slug = unique_slug(name)
    key_ref = new_ca_key(ca_key_spec(key_type), slug)
    certificate = create_root(ca_name(name), key_store().get(key_ref), clock, profile=profile)
    authority = authority_row(certificate, name=name, slug=slug, role=Role.ROOT, key_ref=key_ref)
    authority.status = AuthorityStatus.ACTIVE
    authority.activated_at = clock.now()
    # The root's own delegated responder answers OCSP about its intermediates.
    issue_ocsp_signer(authority, clock)
    authority.save()
    record("authority.created", obj=authority, data={"name": name, "role": "root"})
    return authority


def create_intermediate(
    name: str,
    *,
    parent: Authority | None = None,
    clock: Clock | None = None,
    validity: timedelta | None = None,
    key_type: str | None = None,
) -> Authority:
    """A new intermediate under the root, pending until activated, with its OCSP signer.
    Its key is ``key_type``'s, else ``JITSUIN_CA_KEY_TYPE``'s (``ca_key_spec``)."""
    clock = clock or SystemClock()
    spec = ca_key_spec(key_type)
    with transaction.atomic():
        if Authority.objects.filter(name=name).exists():
            raise AuthorityError(f"an authority named {name!r} already exists")
        parent = parent or Authority.objects.roots().exclude(status=AuthorityStatus.REVOKED).first()
        if parent is None:
            raise AuthorityError("there is no root CA; run `jitsuin ca init` first")
        profile = INTERMEDIATE_CA if validity is None else INTERMEDIATE_CA.with_validity(validity)
        slug = unique_slug(name)
        key_ref = new_ca_key(spec, slug)
        certificate = issue_certificate(
            profile=profile,
            subject=ca_name(name),
            public_key=key_store().get(key_ref).public_key(),
            signer=signer_for(parent),
            clock=clock,
            urls=public_urls(),
        )
        authority = authority_row(
            certificate,
            name=name,
            slug=slug,
            role=Role.INTERMEDIATE,
            key_ref=key_ref,
        )
        authority.parent = parent
        issue_ocsp_signer(authority, clock)
        authority.save()
        record("authority.created", obj=authority, data={"name": name, "parent": parent.name})
        return authority


def activate(name: str, *, clock: Clock | None = None, actor: str = "system") -> Authority:
    """Make ``name`` the issuing CA; the previous one retires (still valid, issues nothing)."""
    clock = clock or SystemClock()
    with transaction.atomic():
        authority = Authority.objects.select_for_update().filter(name=name).first()
        if authority is None:
            raise AuthorityError(f"no authority named {name!r}")
        if authority.role != Role.INTERMEDIATE:
            raise AuthorityError(f"{name} is a root CA; only an intermediate can issue")
        if authority.status == AuthorityStatus.ACTIVE:
            return authority
        if authority.status not in (AuthorityStatus.PENDING, AuthorityStatus.RETIRED):
            raise AuthorityError(f"{name} is {authority.status} and cannot become the issuing CA")
        if authority.revoked_at is not None:
            raise AuthorityError(f"{name} is revoked or scheduled for revocation")
        if authority.revocation_scheduled_at is not None:
            raise AuthorityError(
                f"{name} is being retired: its revocation is announced for "
                f"{authority.revocation_scheduled_at:%Y-%m-%d %H:%M}"
            )
        if authority.not_after <= clock.now():
            raise AuthorityError(f"{name} expired on {authority.not_after:%Y-%m-%d}")
        for previous in Authority.objects.select_for_update().issuing():
            previous.status = AuthorityStatus.RETIRED
            previous.retired_at = clock.now()
            previous.save(update_fields=["status", "retired_at"])
            record("authority.retired", actor=actor, obj=previous, data={"successor": name})
        authority.status = AuthorityStatus.ACTIVE
        authority.activated_at = clock.now()
        authority.save(update_fields=["status", "activated_at"])
        record("authority.activated", actor=actor, obj=authority, data={"name": name})
        return authority


def init_hierarchy(
    *,
    root_name: str = DEFAULT_ROOT_NAME,
    intermediate_name: str = DEFAULT_INTERMEDIATE_NAME,
    clock: Clock | None = None,
    key_type: str | None = None,
) -> HierarchyResult:
    """Create a root, an issuing intermediate and its OCSP signer unless they exist, with
    ``key_type`` keys (else ``JITSUIN_CA_KEY_TYPE``'s)."""
    clock = clock or SystemClock()
    ca_key_spec(key_type)  # a wrong type is refused before anything is made
    with transaction.atomic():
        root = Authority.objects.roots().order_by("created_at").first()
        issuing = Authority.objects.issuing().first()
        if root is not None and issuing is not None:
            return HierarchyResult(root=root, intermediate=issuing, created=False)
        if root is None:
            root = _create_root(root_name, clock, key_type=key_type)
        intermediate = Authority.objects.filter(name=intermediate_name).first()
        if intermediate is None:
            intermediate = create_intermediate(
                intermediate_name, parent=root, clock=clock, key_type=key_type
            )
        intermediate = activate(intermediate.name, clock=clock)
        return HierarchyResult(root=root, intermediate=intermediate, created=True)


def issuing_authority() -> Authority:
    authority = Authority.objects.issuing().first()
    if authority is None:
        raise AuthorityError(
            "there is no issuing CA; run `jitsuin ca init` or `jitsuin ca activate`"
        )
    return authority


def chain_of(authority: Authority) -> list[Authority]:
    """``authority`` and its ancestors up to the root, leaf-most first.

    Follows ``parent``: no query for the levels a caller fetched with ``select_related``."""
    chain = [authority]
    while chain[-1].parent_id is not None:
        parent = chain[-1].parent
        assert parent is not None
        chain.append(parent)
    return chain


def to_pem(authority: Authority) -> str:
    return certificate_of(authority).public_bytes(serialization.Encoding.PEM).decode()


def bundle_pem() -> str:
    """Every CA certificate, roots first, for chain building."""
    authorities = sorted(Authority.objects.all(), key=lambda a: (a.role != Role.ROOT, a.not_before))
    return "".join(to_pem(a) for a in authorities)


def apply_scheduled_revocations(now: datetime) -> list[Authority]:
    """Mark intermediates whose scheduled revocation time has come as revoked."""
    done = []
    with transaction.atomic():
        due = (
            Authority.objects.select_for_update()
            .filter(revoked_at__lte=now)
            .exclude(status=AuthorityStatus.REVOKED)
        )
        for authority in due:
            authority.status = AuthorityStatus.REVOKED
            authority.save(update_fields=["status"])
            record(
                "authority.revoked",
                obj=authority,
                data={"name": authority.name, "scheduled": True},
                at=now,
            )
            done.append(authority)
    return done
