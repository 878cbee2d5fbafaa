"""The simulator's own CA: it signs the holders' certificates, the HTTPS server's and the
registration officer's; jitsuin's pki core makes and signs all of them."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jitsuin.pki.clock import Clock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.issuance import PublicUrls, Signer, create_root, issue_certificate
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.profiles import (
    CLIENT_AUTH,
    CLIENT_AUTH_SMIME,
    PROFILE_SIGNER,
    CertificateProfile,
)
from jitsuin.upstream.mails import Sign
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


# Signs the notices (S/MIME): the support address in the SAN, digitalSignature only.
MAIL_SIGNER = replace(PROFILE_SIGNER, name="mail-signer", needs_email=True)


@dataclass(frozen=True)
class Authority:
    signer: Signer
    urls: PublicUrls
    sign_mail: Sign | None = None


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


def create(directory: Path, *, host: str, institution: str, sender: str, clock: Clock) -> None:
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
    mail_key = generate_private_key(KeySpec.parse("p256"))
    mail = issue_certificate(
        profile=MAIL_SIGNER,
        subject=_name(C="JP", O="UPKI Simulator", CN="UPKI Simulator Support"),
        public_key=mail_key.public_key(),
        signer=signer,
        clock=clock,
        urls=urls,
        email=sender,
    )
    _write(directory / config.MAIL_KEY_FILE, _pem_key(mail_key))
    _write(directory / config.MAIL_CERT_FILE, _pem(mail))
    _write(directory / config.CA_KEY_FILE, _pem_key(ca_key))
    _write(directory / config.CA_CERT_FILE, _pem(ca), 0o644)
    _write(directory / config.SERVER_KEY_FILE, _pem_key(server_key))
    _write(directory / config.SERVER_CERT_FILE, _pem(server) + _pem(ca), 0o644)
    _write(directory / config.OFFICER_KEY_FILE, _pem_key(officer_key))
    _write(directory / config.OFFICER_CERT_FILE, _pem(officer))


def _read(directory: Path, key_file: str, cert_file: str) -> tuple[PrivateKey, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key((directory / key_file).read_bytes(), None)
        certificate = x509.load_pem_x509_certificate((directory / cert_file).read_bytes())
    except (OSError, ValueError) as exc:
        raise SimulatorError(f"{directory / cert_file} cannot be read: {exc}") from exc
    if not isinstance(key, PrivateKey):
        raise SimulatorError(f"{directory / key_file}: not an RSA or EC key")
    return key, certificate


def _mail_signer(key: PrivateKey, certificate: x509.Certificate) -> Sign:
    def sign(data: bytes) -> bytes:
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(data)
            .add_signer(certificate, key, hashes.SHA256())
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )

    return sign


def load(directory: Path, public_url: str, *, sign_mails: bool) -> Authority:
    key, certificate = _read(directory, config.CA_KEY_FILE, config.CA_CERT_FILE)
    sign = None
    if sign_mails:
        sign = _mail_signer(*_read(directory, config.MAIL_KEY_FILE, config.MAIL_CERT_FILE))
    return Authority(Signer(certificate, key, SLUG), PublicUrls(public_url), sign)


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
