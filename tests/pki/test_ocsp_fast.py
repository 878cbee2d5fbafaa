"""``sign_response`` (the live path's encoder) gives the builder's bytes, around its own
signature."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from jitsuin.pki.ocsp import (
    CertStatus,
    SingleStatus,
    build_response,
    cert_id_for,
    prepare_responder,
    sign_response,
)
from tests.peers import require_tool
from tests.pki.factories import EVERYTHING_VALID, TestPki, pem

DER = serialization.Encoding.DER
REVOKED_AT = EVERYTHING_VALID.replace(hour=1)
STATUSES = [
    SingleStatus(CertStatus.GOOD),
    SingleStatus(CertStatus.UNKNOWN),
    SingleStatus(CertStatus.REVOKED, REVOKED_AT),
    *(SingleStatus(CertStatus.REVOKED, REVOKED_AT, reason) for reason in x509.ReasonFlags),
]
ALGORITHMS = [hashes.SHA1(), hashes.SHA224(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()]  # noqa: S303


@pytest.mark.parametrize("extra", [False, True])
@pytest.mark.parametrize("nonce", [None, b"\x00", b"n" * 32, b"\xff" * 128])
@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_the_same_bytes_as_the_builder_but_the_signature(
    pki: TestPki, algorithm: hashes.HashAlgorithm, nonce: bytes | None, extra: bool
) -> None:
    extras = (pki.intermediate.certificate,) if extra else ()
    prepared = prepare_responder(pki.ocsp, extras)
    assert prepared is not None
    for serial in (1, 0x7F, 0x80, 0xFF00, 2**159 - 1):
        cert_id = cert_id_for(serial, pki.intermediate.certificate, algorithm)
        for answer in STATUSES:
            if answer.reason in (x509.ReasonFlags.unspecified, x509.ReasonFlags.remove_from_crl):
                continue  # neither is sent in OCSP; the builder refuses the latter
            theirs = ocsp.load_der_ocsp_response(
                build_response(
                    cert_id,
                    answer,
                    responder=pki.ocsp,
                    this_update=EVERYTHING_VALID,
                    nonce=nonce,
                    extra_certificates=extras,
                )
            )
            der = sign_response(
                prepared,
                cert_id,
                answer,
                this_update=EVERYTHING_VALID,
                nonce=nonce,
                produced_at=theirs.produced_at_utc,
            )
            ours = ocsp.load_der_ocsp_response(der)
            assert ours.tbs_response_bytes == theirs.tbs_response_bytes
            assert ours.public_bytes(DER) == der  # canonical DER: re-encoding changes nothing
            assert ours.signature_algorithm_oid == theirs.signature_algorithm_oid
            assert ours.certificates == theirs.certificates
            key = pki.ocsp.certificate.public_key()
            assert isinstance(key, ec.EllipticCurvePublicKey)
            key.verify(ours.signature, ours.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))


def test_rsa_responders_are_left_to_the_builder(rsa_pki: TestPki) -> None:
    assert prepare_responder(rsa_pki.ocsp) is None


def test_a_negative_serial_is_left_to_the_builder(pki: TestPki) -> None:
    prepared = prepare_responder(pki.ocsp)
    assert prepared is not None
    cert_id = cert_id_for(5, pki.intermediate.certificate)
    negative = type(cert_id)(cert_id.issuer_name_hash, cert_id.issuer_key_hash, -5, hashes.SHA1())  # noqa: S303
    with pytest.raises(ValueError, match="negative"):
        sign_response(prepared, negative, STATUSES[0], this_update=EVERYTHING_VALID)


def test_openssl_verifies_a_live_answer(pki: TestPki, tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    cert = pki.client()
    prepared = prepare_responder(pki.ocsp, (pki.intermediate.certificate,))
    assert prepared is not None
    cert_id = cert_id_for(cert.serial_number, pki.intermediate.certificate)
    der = sign_response(
        prepared,
        cert_id,
        SingleStatus(CertStatus.GOOD),
        this_update=EVERYTHING_VALID,
        nonce=b"q" * 16,
    )
    (tmp_path / "r.der").write_bytes(der)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, pki.intermediate.certificate, hashes.SHA1())  # noqa: S303
        .add_extension(x509.OCSPNonce(b"q" * 16), critical=False)
        .build()
    )
    (tmp_path / "q.der").write_bytes(request.public_bytes(DER))
    (tmp_path / "root.pem").write_bytes(pem(pki.root.certificate))
    (tmp_path / "issuer.pem").write_bytes(pem(pki.intermediate.certificate))
    (tmp_path / "cert.pem").write_bytes(pem(cert))
    done = subprocess.run(
        [
            openssl, "ocsp", "-reqin", tmp_path / "q.der", "-respin", tmp_path / "r.der",
            "-CAfile", tmp_path / "root.pem", "-issuer", tmp_path / "issuer.pem",
            "-no_cert_checks", "-attime", str(int(EVERYTHING_VALID.timestamp()) + 60),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert "Response verify OK" in done.stderr + done.stdout, done.stderr
    assert done.returncode == 0  # the request's nonce found in the response, signature good
