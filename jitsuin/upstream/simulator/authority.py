"""The simulator's own CA: it signs the holders' certificates, the HTTPS server's and the
registration officer's; jitsuin's pki core makes and signs all of them."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jitsuin.pki.clock import Clock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.profiles import CLIENT_AUTH, CLIENT_AUTH_SMIME, CertificateProfile
from jitsuin.upstream.simulator import config
from jitsuin.upstream.simulator.config import SimulatorError

SLUG = "upki-sim"
# Profile ids of the application file (column 2): 5 client, 7 S/MIME (both SHA-256).
PROFILES: dict[str, CertificateProfile] = {"5": CLIENT_AUTH, "7": CLIENT_AUTH_SMIME}
# The real service makes RSA keys for its holders (and takes ~30 s); RSA-2048 here.
HOLDER_KEY = KeySpec.parse("rsa2048")
SERVER_PROFILE = CertificateProfile(
    name="tls-server",
    validity=timedelta(days=825),
    extended_key_usages=(ExtendedKeyUsageOID.SERVER_AUTH,),
)


@dataclass(frozen=True)
class Authority:
    signer: Signer
    urls: PublicUrls


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _name(**parts: str) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "CN": NameOID.COMMON_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


def _server_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for name in dict.fromkeys([host, "localhost", "127.0.0.1"]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def create(directory: Path, *, host: str, institution: str, clock: Clock) -> None:
    """Make the CA, the HTTPS server's certificate (for ``host``, localhost and 127.0.0.1)
    and the registration officer's client certificate, each key in a 0600 PEM file."""
    ca_key = generate_private_key(KeySpec.parse("p256"))
    ca = create_root(_name(C="JP", O="UPKI Simulator", CN="UPKI Simulator CA"), ca_key, clock)
    signer = Signer(ca, ca_key, SLUG)
    urls = PublicUrls(f"https://{host}")
    server_key = generate_private_key(KeySpec.parse("p256"))
    server = issue_certificate(
        profile=SERVER_PROFILE,
        subject=_name(C="JP", O="UPKI Simulator", CN=host),
        public_key=server_key.public_key(),
        signer=signer,
        clock=clock,
        urls=urls,
    )
    # issue_certificate writes an e-mail SAN only; a TLS server needs its host names.
    server = (
        x509.CertificateBuilder(
            issuer_name=server.issuer,
            subject_name=server.subject,
            public_key=server.public_key(),
            serial_number=server.serial_number,
            not_valid_before=server.not_valid_before_utc,
            not_valid_after=server.not_valid_after_utc,
            extensions=list(server.extensions),
        )
        .add_extension(x509.SubjectAlternativeName(_server_names(host)), critical=False)
        .sign(ca_key, server.signature_hash_algorithm)  # type: ignore[arg-type]
    )
    officer_key = generate_private_key(KeySpec.parse("p256"))
    officer = issue_certificate(
        profile=CLIENT_AUTH,
        subject=_name(C="JP", O=institution, CN="Registration Officer"),
        public_key=officer_key.public_key(),
        signer=signer,
        clock=clock,
        urls=urls,
        email="ra-officer@upki-sim.invalid",
    )
    _write(directory / config.CA_KEY_FILE, _pem_key(ca_key))
    _write(directory / config.CA_CERT_FILE, _pem(ca), 0o644)
    _write(directory / config.SERVER_KEY_FILE, _pem_key(server_key))
    _write(directory / config.SERVER_CERT_FILE, _pem(server) + _pem(ca), 0o644)
    _write(directory / config.OFFICER_KEY_FILE, _pem_key(officer_key))
    _write(directory / config.OFFICER_CERT_FILE, _pem(officer))


def load(directory: Path, public_url: str) -> Authority:
    try:
        key = serialization.load_pem_private_key(
            (directory / config.CA_KEY_FILE).read_bytes(), password=None
        )
        certificate = x509.load_pem_x509_certificate((directory / config.CA_CERT_FILE).read_bytes())
    except (OSError, ValueError) as exc:
        raise SimulatorError(f"the simulator's CA in {directory} cannot be read: {exc}") from exc
    assert isinstance(key, PrivateKey)
    return Authority(Signer(certificate, key, SLUG), PublicUrls(public_url))


def parse_dn(dn: str) -> x509.Name:
    """``CN=…,OU=…,O=…,L=…,C=JP`` as the application file writes it (RFC 4514 order)."""
    try:
        return x509.Name.from_rfc4514_string(dn)
    except ValueError as exc:
        raise SimulatorError(f"not a distinguished name: {exc}") from exc


def issue_holder(
    authority: Authority, *, dn: str, profile_id: str, email: str, clock: Clock
) -> tuple[PrivateKey, x509.Certificate]:
    """The holder's key, made now (when the download is first asked for), and certificate."""
    key = generate_private_key(HOLDER_KEY)
    certificate = issue_certificate(
        profile=PROFILES.get(profile_id, CLIENT_AUTH),
        subject=parse_dn(dn),
        public_key=key.public_key(),
        signer=authority.signer,
        clock=clock,
        urls=authority.urls,
        email=email,
    )
    return key, certificate


def crl(authority: Authority, entries: list[RevokedEntry], number: int, clock: Clock) -> bytes:
    signed = build_crl(authority.signer, entries, crl_number=number, clock=clock)
    return signed.public_bytes(serialization.Encoding.DER)
