"""Is a set of CRLs fit to load? Signed by its CA, the CA chained to a pinned root, current.

Bytes and parsed objects in, a verdict out; the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from jitsuin.pki.crl import crl_number_of

MAX_DEPTH = 8


class Refused(Exception):
    """The set must not be loaded; the message names the object and the reason."""


def display(name: x509.Name) -> str:
    """A CA's name for a log line: its common name, or the whole name."""
    common = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def parse_certificates(pem: bytes, what: str) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        return []
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise Refused(f"{what} is not PEM certificates: {exc}") from exc


def parse_crls(pem: bytes, what: str) -> list[x509.CertificateRevocationList]:
    marker = b"-----BEGIN X509 CRL-----"
    crls = []
    for part in pem.split(marker)[1:]:
        try:
            crls.append(x509.load_pem_x509_crl(marker + part))
        except ValueError as exc:
            raise Refused(f"{what} holds a CRL that does not parse: {exc}") from exc
    return crls


def load_pinned(pem: bytes) -> list[x509.Certificate]:
    """The trust anchors: self-signed CA certificates, at least one."""
    roots = parse_certificates(pem, "the pinned roots file")
    if not roots:
        raise Refused("the pinned roots file holds no certificate")
    for root in roots:
        try:
            root.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise Refused(f"pinned root {display(root.subject)} is not self-signed") from exc
        if not _is_ca(root):
            raise Refused(f"pinned root {display(root.subject)} is not a CA")
    return roots


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return _is_ca(parent)


def _chains_to_pin(
    certificate: x509.Certificate,
    pinned: Sequence[x509.Certificate],
    pool: Sequence[x509.Certificate],
    depth: int = 0,
) -> bool:
    """``certificate`` is a pinned root, or signed by a CA that chains to one (signatures only:
    a revoked or retired CA's CRL still has to be loaded)."""
    if certificate in pinned:
        return True
    if depth >= MAX_DEPTH:
        return False
    return any(
        parent != certificate
        and _issued_by(certificate, parent)
        and _chains_to_pin(parent, pinned, pool, depth + 1)
        for parent in [*pinned, *pool]
        if parent.subject == certificate.issuer
    )


def _signer(
    crl: x509.CertificateRevocationList,
    pinned: Sequence[x509.Certificate],
    pool: Sequence[x509.Certificate],
) -> x509.Certificate | None:
    for candidate in [*pinned, *pool]:
        if (
            candidate.subject == crl.issuer
            and _is_ca(candidate)
            and crl.is_signature_valid(candidate.public_key())  # type: ignore[arg-type]
            and _chains_to_pin(candidate, pinned, pool)
        ):
            return candidate
    return None


@dataclass(frozen=True)
class Freshness:
    now: datetime
    skew: timedelta


def check_set(
    crls: Sequence[x509.CertificateRevocationList],
    *,
    pinned: Sequence[x509.Certificate],
    cas: Sequence[x509.Certificate],
    loaded: Iterable[x509.CertificateRevocationList],
    freshness: Freshness,
) -> None:
    """Raise :class:`Refused` unless every CRL is signed by a CA that chains to a pinned root,
    is current, goes no backwards from the one ``loaded`` for its CA, and every pinned root and
    every CA ``loaded`` so far still has one."""
    if not crls:
        raise Refused("jitsuin served no CRL")
    issuers = {crl.issuer.public_bytes() for crl in crls}
    if len(issuers) != len(crls):
        raise Refused("jitsuin served two CRLs of one CA")
    for crl in crls:
        who = f"the CRL of {display(crl.issuer)}"
        if _signer(crl, pinned, cas) is None:
            raise Refused(f"{who} is not signed by a CA under the pinned roots")
        if crl.last_update_utc > freshness.now + freshness.skew:
            raise Refused(f"{who} starts in the future (thisUpdate {crl.last_update_utc:%FT%TZ})")
        if crl.next_update_utc is None or crl.next_update_utc < freshness.now:
            raise Refused(f"{who} is stale (nextUpdate {crl.next_update_utc:%FT%TZ} has passed)")
    for root in pinned:
        if root.subject.public_bytes() not in issuers:
            raise Refused(f"jitsuin served no CRL of the pinned root {display(root.subject)}")
    served = {crl.issuer.public_bytes(): crl for crl in crls}
    for old in loaded:
        new = served.get(old.issuer.public_bytes())
        if new is None:
            raise Refused(f"the CRL of {display(old.issuer)} is missing (one is loaded)")
        if _number(new) < _number(old):
            raise Refused(
                f"the CRL of {display(old.issuer)} goes backwards "
                f"(number {_number(new)}, {_number(old)} is loaded)"
            )


def _number(crl: x509.CertificateRevocationList) -> int:
    try:
        return crl_number_of(crl)
    except x509.ExtensionNotFound:
        return -1
