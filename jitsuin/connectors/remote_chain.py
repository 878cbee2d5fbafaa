"""The signer's CAs as rows of the RA: certificates, no keys.

The RA's certificates point at their issuer's ``Authority`` row (its CRL, OCSP and chain are
found from it), so the chain the signer sends with a certificate is imported here the first
time it is seen: the row keeps ``key_ref = remote:HOST`` (no key store opens it: nothing here
can sign as that CA) and a delegated OCSP responder certified by the signer for a key made
here (only its public key travels), so the RA answers OCSP as an embedded one does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction

from jitsuin.audit.services import record
from jitsuin.authorities.keys import key_store
from jitsuin.authorities.models import Authority, AuthorityStatus, Role
from jitsuin.authorities.services import authority_row, unique_slug
from jitsuin.connectors.base import ConnectorRejected
from jitsuin.connectors.remote_client import SignerClient
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.loading import fingerprint_sha256

REMOTE = "remote:"
# As for the embedded CAs' responders (publishing.periodic): 90-day certificates, renewed
# a month ahead.
RENEW_RESPONDER_BEFORE = timedelta(days=30)


def _free_name(wanted: str) -> str:
    """``wanted``, or ``wanted-2``... when an authority of this RA already has that name."""
    name, n = wanted, 2
    while Authority.objects.filter(name=name).exists():
        name, n = f"{wanted}-{n}", n + 1
    return name


def _certified_responder(
    fingerprint: str, client: SignerClient
) -> tuple[PrivateKey, x509.Certificate]:
    """A responder key made here and its certificate from the signer (only the public key
    travels)."""
    responder_key = generate_private_key(KeySpec.parse("p256"))
    answer = client.call(
        "POST",
        "/v1/responder",
        {
            "issuer_fingerprint": fingerprint,
            "public_key": responder_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
        },
    )
    return responder_key, x509.load_pem_x509_certificate(str(answer["certificate"]).encode())


def renew_responders(client: SignerClient, now: datetime) -> list[Authority]:
    """The remote CAs' delegated responders that expire within ``RENEW_RESPONDER_BEFORE``,
    certified again by the signer (the RA's worker, with the CRL pull; the embedded CAs'
    are renewed by publishing.periodic.renew_responders)."""
    renewed = []
    remote = Authority.objects.filter(key_ref__startswith=REMOTE).exclude(
        status=AuthorityStatus.REVOKED
    )
    for authority in remote.exclude(not_after__lte=now):
        if authority.ocsp_certificate_der:
            current = x509.load_der_x509_certificate(bytes(authority.ocsp_certificate_der))
            if current.not_valid_after_utc - now >= RENEW_RESPONDER_BEFORE:
                continue
        key, responder = _certified_responder(authority.fingerprint_sha256, client)
        with transaction.atomic():
            row = Authority.objects.select_for_update().get(pk=authority.pk)
            old_ref = row.ocsp_key_ref
            row.ocsp_key_ref = key_store().put(key, f"{row.slug}-ocsp")
            row.ocsp_certificate_der = responder.public_bytes(serialization.Encoding.DER)
            row.save(update_fields=["ocsp_key_ref", "ocsp_certificate_der"])
            record("authority.ocsp_signer_renewed", obj=row, data={"signer": client.where})
            if old_ref:
                transaction.on_commit(lambda ref=old_ref: key_store().destroy(ref))
        renewed.append(row)
    return renewed


def _import(entry: dict[str, Any], parent: Authority | None, client: SignerClient) -> Authority:
    certificate = x509.load_pem_x509_certificate(str(entry.get("pem", "")).encode())
    fingerprint = fingerprint_sha256(certificate)
    existing = Authority.objects.filter(fingerprint_sha256=fingerprint).first()
    if existing is not None:
        return existing
    responder_key, responder = _certified_responder(fingerprint, client)
    is_root = parent is None
    issuing_here = Authority.objects.issuing().exists()
    name = str(entry.get("name") or certificate.subject.rfc4514_string())[:90]
    with transaction.atomic():
        slug = unique_slug(str(entry.get("slug") or name))
        authority = authority_row(
            certificate,
            name=_free_name(name),
            slug=slug,
            role=Role.ROOT if is_root else Role.INTERMEDIATE,
            key_ref=f"{REMOTE}{client.where}",
        )
        authority.parent = parent
        authority.status = (
            AuthorityStatus.ACTIVE if is_root or not issuing_here else AuthorityStatus.PENDING
        )
        authority.ocsp_certificate_der = responder.public_bytes(serialization.Encoding.DER)
        authority.ocsp_key_ref = key_store().put(responder_key, f"{slug}-ocsp")
        authority.save()
        record(
            "authority.imported",
            obj=authority,
            data={"name": authority.name, "signer": client.where, "fingerprint": fingerprint},
        )
    return authority


def import_chain(chain: list[dict[str, Any]], client: SignerClient) -> list[Authority]:
    """The rows of ``chain`` (issuer first, as the signer sends it), made when missing."""
    if not chain:
        raise ConnectorRejected(f"signer {client.where} sent no CA chain")
    rows: list[Authority] = []
    parent: Authority | None = None
    for entry in reversed(chain):
        try:
            parent = _import(entry, parent, client)
        except IntegrityError:  # another worker imported it at the same moment
            pem = str(entry.get("pem", "")).encode()
            parent = Authority.objects.get(
                fingerprint_sha256=fingerprint_sha256(x509.load_pem_x509_certificate(pem))
            )
        rows.append(parent)
    return rows[::-1]
