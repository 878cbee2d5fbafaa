"""Reading certificates and CSRs from bytes, in PEM or DER, with clear errors."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from jitsuin.pki.errors import InvalidCsr, NotACertificate

_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or the one DER certificate."""
    stripped = data.strip()
    try:
        if _PEM_CERT in stripped:
            return x509.load_pem_x509_certificates(stripped)
        # DER as given: its last byte may be 0x20 or 0x0a, which strip() would cut off.
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise NotACertificate("this file is not an X.509 certificate in PEM or DER") from exc


def load_certificate(data: bytes) -> x509.Certificate:
    return load_certificates(data)[0]


def load_csr(data: bytes | str) -> x509.CertificateSigningRequest:
    raw = data.encode() if isinstance(data, str) else data
    try:
        if raw.strip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_csr(raw.strip())
        return x509.load_der_x509_csr(raw)  # as given: strip() could cut a DER byte
    except ValueError as exc:
        raise InvalidCsr("this is not a certificate signing request (PKCS#10)") from exc


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    """Lower-case hex, 64 characters, as ``openssl x509 -fingerprint -sha256`` without colons."""
    return certificate.fingerprint(hashes.SHA256()).hex()
