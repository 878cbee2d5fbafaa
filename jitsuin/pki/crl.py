"""Certificate revocation lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from jitsuin.pki.clock import Clock
from jitsuin.pki.issuance import Signer, signature_hash

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
