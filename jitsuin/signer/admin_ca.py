"""The signer's admin CA: a small P-256 CA of its own, apart from the hierarchy that signs
users' certificates. It issues the signer's TLS server certificate and the RAs' client
certificates; the server trusts client certificates from it alone.

Files in ``JITSUIN_DATA_DIR/signer/``: ``admin-ca.pem``, ``admin-ca.ref`` (its key's reference
in the key store: an encrypted file, or the PKCS#11 token), ``server.pem`` and ``server.key``
(0600, read by the TLS server).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jitsuin.authorities.keys import key_store, new_ca_key
from jitsuin.config import current
from jitsuin.pki.keys import KeySpec, PrivateKey
from jitsuin.pki.loading import fingerprint_sha256

ADMIN_CA_VALIDITY = timedelta(days=10 * 365)
SERVER_VALIDITY = timedelta(days=2 * 365)
CLIENT_VALIDITY = timedelta(days=2 * 365)
BACKDATE = timedelta(minutes=5)


class AdminCaError(Exception):
    """The admin CA is missing or cannot do what was asked; the message says what to run."""


@dataclass(frozen=True)
class Paths:
    directory: Path

    @property
    def ca_certificate(self) -> Path:
        return self.directory / "admin-ca.pem"

    @property
    def ca_key_ref(self) -> Path:
        return self.directory / "admin-ca.ref"

    @property
    def server_certificate(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def paths() -> Paths:
    return Paths(current().data_dir / "signer")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, current().organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, life: timedelta
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + life)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def admin_ca() -> tuple[x509.Certificate, PrivateKey]:
    where = paths()
    if not where.ca_certificate.exists() or not where.ca_key_ref.exists():
        raise AdminCaError(f"no signer admin CA in {where.directory}; run `jitsuin signer init`")
    certificate = x509.load_pem_x509_certificate(where.ca_certificate.read_bytes())
    return certificate, key_store().get(where.ca_key_ref.read_text().strip())


def _leaf(
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    alt_names: list[x509.GeneralName],
    life: timedelta,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_certificate, ca_key = admin_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    life = min(life, ca_certificate.not_valid_after_utc - datetime.now(UTC))
    builder = (
        _builder(subject, ca_certificate.subject, key.public_key(), life)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key  # type: ignore[arg-type]


def _alt_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def init(hosts: list[str]) -> tuple[x509.Certificate, bool]:
    """The admin CA (made once) and a new server certificate for ``hosts``; returns the admin
    CA and whether it was made now."""
    if not hosts:
        raise AdminCaError("give the signer's host name (--host NAME), as the RAs will reach it")
    where = paths()
    current().ensure_data_dir()
    where.directory.mkdir(mode=0o700, exist_ok=True)
    created = not where.ca_certificate.exists()
    if created:
        ref = new_ca_key(KeySpec.parse("p256"), "signer-admin-ca")
        key = key_store().get(ref)
        public_key = key.public_key()
        subject = _name("jitsuin signer admin CA")
        certificate = (
            _builder(subject, subject, public_key, ADMIN_CA_VALIDITY)  # type: ignore[arg-type]
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(key, hashes.SHA256())  # type: ignore[arg-type]
        )
        write_private(where.ca_key_ref, ref.encode())
        write_private(where.ca_certificate, _pem(certificate))
    certificate, _key = admin_ca()
    server, server_key = _leaf(
        _name(hosts[0]),
        ExtendedKeyUsageOID.SERVER_AUTH,
        [_alt_name(host) for host in hosts],
        SERVER_VALIDITY,
    )
    write_private(where.server_key, _key_pem(server_key))
    write_private(where.server_certificate, _pem(server))
    return certificate, created


@dataclass(frozen=True)
class ClientCredentials:
    certificate_pem: bytes
    key_pem: bytes
    ca_pem: bytes
    fingerprint: str


def client_credentials(ra_name: str) -> ClientCredentials:
    """A new client certificate and key for RA ``ra_name``; the key is not kept here."""
    certificate, key = _leaf(
        _name(f"RA {ra_name}"), ExtendedKeyUsageOID.CLIENT_AUTH, [], CLIENT_VALIDITY
    )
    ca_certificate, _ca_key = admin_ca()
    return ClientCredentials(
        certificate_pem=_pem(certificate),
        key_pem=_key_pem(key),
        ca_pem=_pem(ca_certificate),
        fingerprint=fingerprint_sha256(certificate),
    )
