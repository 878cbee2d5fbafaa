"""Key pairs the peers need, made fresh for each run with `cryptography` (nothing is kept)."""

from __future__ import annotations

import datetime
import ipaddress
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm


def self_signed(directory: Path, name: str, common_name: str) -> tuple[Path, Path]:
    """An RSA-2048 key and a self-signed certificate for ``common_name`` (valid a day, with
    127.0.0.1 and localhost as subject alternative names); returns (key path, cert path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def cert_base64(cert_path: Path) -> str:
    """The certificate's DER in base64 on one line, as SAML metadata carries it."""
    lines = cert_path.read_text().strip().splitlines()
    return "".join(line for line in lines if "-----" not in line)


def op_signing_key(directory: Path, kid: str = "op-key-1") -> tuple[rsa.RSAPrivateKey, Path]:
    """The OpenID Provider's RS256 signing key, also written as a private JWK for the OP."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key))
    # PyJWT marks a private JWK key_ops ["sign"]; the OP also verifies with it (the
    # id_token_hint at sign-out), so the key is marked by `use` alone.
    jwk.pop("key_ops", None)
    jwk.update(kid=kid, use="sig", alg="RS256")
    path = directory / "op-key.jwk.json"
    path.write_text(json.dumps(jwk))
    return key, path
