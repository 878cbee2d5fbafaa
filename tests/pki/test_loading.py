"""Reading certificates in PEM, DER and bundles; clear errors for anything else."""

from __future__ import annotations

import subprocess

import pytest

from jitsuin.pki.errors import NotACertificate
from jitsuin.pki.loading import fingerprint_sha256, load_certificate, load_certificates
from tests.pki.factories import TestPki, der, pem


def test_pem_certificate_loads(pki: TestPki) -> None:
    cert = pki.client()
    assert load_certificate(pem(cert)) == cert


def test_der_certificate_loads(pki: TestPki) -> None:
    cert = pki.client()
    assert load_certificate(der(cert)) == cert


def test_pem_with_surrounding_text_and_blank_lines_loads(pki: TestPki) -> None:
    cert = pki.client()
    data = b"\n\nsubject=CN = Hanako\nissuer=...\n" + pem(cert) + b"\n\n"
    assert load_certificate(data) == cert


def test_bundle_gives_every_certificate_in_order(pki: TestPki) -> None:
    leaf = pki.client()
    bundle = pem(leaf) + pem(pki.intermediate.certificate) + pem(pki.root.certificate)
    assert load_certificates(bundle) == [leaf, pki.intermediate.certificate, pki.root.certificate]
    assert load_certificate(bundle) == leaf


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, world",
        b"\x30\x03\x02\x01\x01",
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_garbage_is_not_a_certificate(data: bytes) -> None:
    with pytest.raises(NotACertificate, match="not an X.509 certificate in PEM or DER"):
        load_certificates(data)


def test_a_crl_is_not_a_certificate(pki: TestPki) -> None:
    with pytest.raises(NotACertificate):
        load_certificate(der(pki.crl()))
    with pytest.raises(NotACertificate):
        load_certificate(pem(pki.crl()))


def test_truncated_der_is_not_a_certificate(pki: TestPki) -> None:
    with pytest.raises(NotACertificate):
        load_certificate(der(pki.client())[:-10])


def test_fingerprint_is_openssl_sha256_fingerprint_without_colons(pki: TestPki) -> None:
    cert = pki.client()
    fingerprint = fingerprint_sha256(cert)
    assert len(fingerprint) == 64 and fingerprint == fingerprint.lower()
    shown = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
        input=pem(cert),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert shown.strip().split("=", 1)[1].replace(":", "").lower() == fingerprint
