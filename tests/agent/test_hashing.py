"""subject_hash is what `openssl x509 -hash` and `openssl crl -hash` print."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from jitsuin.agent.hashing import subject_hash
from tests.peers import require_tool
from tests.pki.factories import EVERYTHING_VALID, cached_key, pem

pytestmark = pytest.mark.peers

A = x509.NameAttribute
NAMES = {
    "the test hierarchy's": x509.Name(
        [
            A(NameOID.COUNTRY_NAME, "JP"),
            A(NameOID.ORGANIZATION_NAME, "Example University"),
            A(NameOID.COMMON_NAME, "Example Univ Client CA G1"),
        ]
    ),
    "case and whitespace": x509.Name(
        [A(NameOID.COMMON_NAME, "  Example\t Univ   ROOT  "), A(NameOID.COUNTRY_NAME, "jp")]
    ),
    "Japanese": x509.Name(
        [A(NameOID.ORGANIZATION_NAME, "例示大学"), A(NameOID.COMMON_NAME, "例示大学 認証局 G2")]
    ),
    "BMPString and IA5String": x509.Name(
        [
            A(NameOID.COMMON_NAME, "BMP Name", _type=_ASN1Type.BMPString),
            A(NameOID.DOMAIN_COMPONENT, "Example"),
            A(NameOID.EMAIL_ADDRESS, "CA@Example.ac.jp"),
        ]
    ),
    "multi-valued RDN": x509.Name(
        [
            x509.RelativeDistinguishedName(
                [A(NameOID.ORGANIZATIONAL_UNIT_NAME, "Zeta"), A(NameOID.COMMON_NAME, "Alpha CA")]
            )
        ]
    ),
    "serialNumber (PrintableString), 128+ bytes": x509.Name(
        [A(NameOID.SERIAL_NUMBER, "12 34"), A(NameOID.ORGANIZATION_NAME, "O" * 150)]
    ),
}


def self_signed(name: x509.Name) -> x509.Certificate:
    key = cached_key("p256")
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(EVERYTHING_VALID)
        .not_valid_after(EVERYTHING_VALID + timedelta(days=1))
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_subject_hash_is_openssls(name, tmp_path):
    openssl = require_tool("openssl")
    path = tmp_path / "cert.pem"
    path.write_bytes(pem(self_signed(name)))
    printed = subprocess.run(
        [openssl, "x509", "-noout", "-hash", "-in", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert subject_hash(name) == printed


def test_a_crls_file_name_is_its_issuers_hash(pki, tmp_path):
    openssl = require_tool("openssl")
    path = tmp_path / "crl.pem"
    path.write_bytes(pem(pki.crl()))
    printed = subprocess.run(
        [openssl, "crl", "-noout", "-hash", "-in", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert subject_hash(pki.intermediate.certificate.subject) == printed
