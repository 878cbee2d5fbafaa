"""Certificate revocation lists.

``build_crl`` builds one with cryptography's builder from revocation facts. ``encode_entry``
and ``assemble_crl`` are the fast path of a CA's publication: each revokedCertificates entry is
encoded once, when its certificate is revoked (asn1crypto), and a CRL is then assembled from
the stored entries without decoding or re-encoding them (the rest of the TBSCertList is
cryptography's, from ``build_crl`` without entries) and signed with the CA key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.clock import Clock
from jitsuin.pki.issuance import Signer, sign_bytes, signature_hash

DEFAULT_CRL_VALIDITY = timedelta(days=7)

REASONS: dict[str, x509.ReasonFlags] = {flag.value: flag for flag in x509.ReasonFlags}
# Reasons that may appear in a CRL entry (RFC 5280 5.3.1: removeFromCRL only in delta CRLs).
ENTRY_REASONS = {
    name: flag for name, flag in REASONS.items() if flag not in (x509.ReasonFlags.remove_from_crl,)
}


def parse_reason(name: str) -> x509.ReasonFlags:
    """``keyCompromise``, ``superseded``, ... (RFC 5280 spelling) to a reason flag."""
    try:
        return ENTRY_REASONS[name]
    except KeyError:
        choices = ", ".join(ENTRY_REASONS)
        raise ValueError(f"unknown revocation reason {name!r}; choose one of {choices}") from None


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None


def build_crl(
    signer: Signer,
    entries: Iterable[RevokedEntry],
    *,
    crl_number: int,
    clock: Clock,
    validity: timedelta = DEFAULT_CRL_VALIDITY,
) -> x509.CertificateRevocationList:
    """Sign a complete CRL for ``signer`` listing ``entries``; all of them at once."""
    now = clock.now()
    revoked = []
    for entry in entries:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(min(entry.revoked_at, now))
        )
        if entry.reason is not None and entry.reason != x509.ReasonFlags.unspecified:
            item = item.add_extension(x509.CRLReason(entry.reason), critical=False)
        revoked.append(item.build())
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        signer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    )
    # The whole list at once: add_revoked_certificate() copies it each time (quadratic).
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=signer.certificate.subject,
        last_update=now,
        next_update=now + validity,
        extensions=[
            x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(crl_number)),
            x509.Extension(aki.oid, False, aki),
        ],
        revoked_certificates=revoked,
    )
    return builder.sign(signer.private_key, signature_hash(signer.private_key))


def crl_number_of(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


@cache
def _reason_extensions(flag: x509.ReasonFlags) -> Any:
    """The crlEntryExtensions of a reason, encoded once and kept (asn1crypto then dumps the
    loaded value's bytes as they are). asn1crypto names the reasons as cryptography's flags."""
    built = asn1_crl.CRLEntryExtensions(
        [{"extn_id": "crl_reason", "critical": False, "extn_value": flag.name}]
    )
    return asn1_crl.CRLEntryExtensions.load(built.dump())


def encode_entry(entry: RevokedEntry) -> bytes:
    """The DER of ``entry``'s revokedCertificates item, as ``build_crl`` encodes it: the reason
    left out when there is none or it is unspecified (RFC 5280 5.3.1), the date in UTCTime
    before 2050 and GeneralizedTime from then on (RFC 5280 5.1.2.6)."""
    item = asn1_crl.RevokedCertificate()
    item["user_certificate"] = entry.serial
    kind = "utc_time" if entry.revoked_at.year < 2050 else "general_time"
    item["revocation_date"] = asn1_x509.Time(name=kind, value=entry.revoked_at)
    if entry.reason is not None and entry.reason != x509.ReasonFlags.unspecified:
        item["crl_entry_extensions"] = _reason_extensions(entry.reason)
    return bytes(item.dump())


def assemble_crl(
    signer: Signer,
    entries: Sequence[bytes],
    *,
    crl_number: int,
    clock: Clock,
    validity: timedelta = DEFAULT_CRL_VALIDITY,
) -> bytes:
    """The DER of a complete CRL listing ``entries`` (each from ``encode_entry``), identical
    to ``build_crl``'s for the same revocations but for the signature.

    The issuer, times, extensions and signature algorithm come from ``build_crl`` without
    entries (one extra signature, so they are exactly cryptography's); the entries are put
    in as encoded contents, which asn1crypto wraps without parsing them.
    """
    shell = build_crl(signer, [], crl_number=crl_number, clock=clock, validity=validity)
    parsed = asn1_crl.CertificateList.load(shell.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_cert_list"]
    if entries:  # RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked
        tbs["revoked_certificates"] = asn1_crl.RevokedCertificates(contents=b"".join(entries))
    signed = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": parsed["signature_algorithm"],
            "signature": sign_bytes(signer.private_key, tbs.dump()),
        }
    )
    return bytes(signed.dump())
