"""OCSP requests read and responses signed by the core's delegated responder."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from jitsuin.pki.errors import MalformedOcspRequest
from jitsuin.pki.ocsp import (
    DEFAULT_RESPONSE_VALIDITY,
    CertStatus,
    SingleStatus,
    build_response,
    cert_id_for,
    error_response,
    issuer_hashes,
    next_update_of,
    parse_request,
    prepare_responder,
    sign_response,
)
from tests.peers import require_tool
from tests.pki.factories import EVERYTHING_VALID, TestPki, pem, verify_ocsp_signature

REVOKED_AT = EVERYTHING_VALID - timedelta(hours=6)


def _request(cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _answer(pki: TestPki, cert: x509.Certificate, status: SingleStatus) -> ocsp.OCSPResponse:
    return ocsp.load_der_ocsp_response(pki.ocsp_response(cert, status))


def test_good_answer_names_the_certificate_and_its_validity(any_pki: TestPki) -> None:
    cert = any_pki.client()
    response = _answer(any_pki, cert, SingleStatus(CertStatus.GOOD))
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == cert.serial_number
    name_hash, key_hash = issuer_hashes(any_pki.intermediate.certificate)
    assert (response.issuer_name_hash, response.issuer_key_hash) == (name_hash, key_hash)
    assert response.this_update_utc == EVERYTHING_VALID
    assert response.next_update_utc == EVERYTHING_VALID + DEFAULT_RESPONSE_VALIDITY
    assert response.revocation_time_utc is None


def test_revoked_answer_carries_time_and_reason(pki: TestPki) -> None:
    cert = pki.client()
    response = _answer(
        pki,
        cert,
        SingleStatus(CertStatus.REVOKED, REVOKED_AT, x509.ReasonFlags.key_compromise),
    )
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == REVOKED_AT
    assert response.revocation_reason is x509.ReasonFlags.key_compromise


def test_unknown_answer(pki: TestPki) -> None:
    response = _answer(pki, pki.client(), SingleStatus(CertStatus.UNKNOWN))
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    assert response.revocation_time_utc is None


def test_revoked_without_a_time_is_a_programming_error(pki: TestPki) -> None:
    with pytest.raises(ValueError, match="needs its revocation time"):
        pki.ocsp_response(pki.client(), SingleStatus(CertStatus.REVOKED))


def test_delegated_responder_signs_and_is_named_by_key_hash(any_pki: TestPki) -> None:
    response = _answer(any_pki, any_pki.client(), SingleStatus(CertStatus.GOOD))
    signer = any_pki.ocsp.certificate
    ski = signer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert response.responder_key_hash == ski
    assert response.responder_name is None
    assert response.certificates == [signer]
    verify_ocsp_signature(response, signer)


def test_request_nonce_is_echoed_in_the_response(pki: TestPki) -> None:
    cert = pki.client()
    nonce = bytes(range(16))
    query = parse_request(_request(cert, pki.intermediate.certificate, nonce))
    assert query.nonce == nonce
    data = build_response(
        query.cert_id,
        SingleStatus(CertStatus.GOOD),
        responder=pki.ocsp,
        this_update=EVERYTHING_VALID,
        nonce=query.nonce,
    )
    response = ocsp.load_der_ocsp_response(data)
    echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert echoed == nonce


def test_a_prepared_responder_signs_each_answer_with_only_its_own_request(
    pki: TestPki,
) -> None:
    # One builder holds the responder ID and certificates for every answer: nothing of one
    # answer (serial, status, nonce) may reach the next.
    issuer = pki.intermediate.certificate
    prepared = prepare_responder(pki.ocsp, (issuer,))
    first, second = pki.client(), pki.client()
    answers = []
    for cert, status, nonce in (
        (first, SingleStatus(CertStatus.GOOD), b"\x01" * 16),
        (second, SingleStatus(CertStatus.REVOKED, REVOKED_AT, None), None),
        (first, SingleStatus(CertStatus.GOOD), b"\x02" * 32),
    ):
        query = parse_request(_request(cert, issuer, nonce))
        data = sign_response(
            query.cert_id, status, responder=prepared, this_update=EVERYTHING_VALID, nonce=nonce
        )
        answers.append((cert, status, nonce, ocsp.load_der_ocsp_response(data)))
    for cert, status, nonce, response in answers:
        assert response.serial_number == cert.serial_number
        assert response.certificate_status.name == status.status.name
        assert response.certificates == [pki.ocsp.certificate, issuer]
        assert response.responder_key_hash == (
            pki.ocsp.certificate.extensions.get_extension_for_class(
                x509.SubjectKeyIdentifier
            ).value.digest
        )
        nonces = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
        assert nonces == ([nonce] if nonce else [])
        public_key = pki.ocsp.certificate.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        algorithm = response.signature_hash_algorithm
        assert algorithm is not None
        public_key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))


def test_response_without_a_request_nonce_has_none(pki: TestPki) -> None:
    query = parse_request(_request(pki.client(), pki.intermediate.certificate))
    assert query.nonce is None
    response = ocsp.load_der_ocsp_response(pki.ocsp_response(pki.client()))
    assert len(response.extensions) == 0


def test_parsed_request_matches_cert_id_for(any_pki: TestPki) -> None:
    cert = any_pki.client()
    query = parse_request(_request(cert, any_pki.intermediate.certificate))
    assert query.cert_id == cert_id_for(cert.serial_number, any_pki.intermediate.certificate)
    assert query.cert_id.issuer_key == ("sha1", query.cert_id.issuer_key_hash)


@pytest.mark.parametrize(
    "data",
    [b"", b"GET /ocsp HTTP/1.1", b"\x30\x03\x02\x01\x01", b"\x30" + b"\xff" * 8],
)
def test_garbage_is_a_malformed_request(data: bytes) -> None:
    with pytest.raises(MalformedOcspRequest, match="not an OCSP request jitsuin can answer"):
        parse_request(data)


@pytest.mark.peers
def test_request_for_two_certificates_is_malformed_for_jitsuin(
    pki: TestPki, tmp_path: Path
) -> None:
    # cryptography's builder refuses two; openssl makes one, as a client may.
    openssl = require_tool("openssl")
    d = tmp_path
    (d / "i.pem").write_bytes(pem(pki.intermediate.certificate))
    (d / "a.pem").write_bytes(pem(pki.client()))
    (d / "b.pem").write_bytes(pem(pki.client()))
    subprocess.run(
        [openssl, "ocsp", "-issuer", d / "i.pem", "-cert", d / "a.pem", "-cert", d / "b.pem"]
        + ["-reqout", d / "req.der"],
        check=True,
        capture_output=True,
    )
    with pytest.raises(MalformedOcspRequest):
        parse_request((d / "req.der").read_bytes())


@pytest.mark.peers
@pytest.mark.parametrize("digest", ["sha1", "sha256"])
def test_cert_id_for_matches_what_openssl_ocsp_reqout_produces(
    any_pki: TestPki, tmp_path: Path, digest: str
) -> None:
    openssl = require_tool("openssl")
    cert = any_pki.client()
    (tmp_path / "issuer.pem").write_bytes(pem(any_pki.intermediate.certificate))
    (tmp_path / "leaf.pem").write_bytes(pem(cert))
    subprocess.run(
        [openssl, "ocsp", f"-{digest}", "-issuer", tmp_path / "issuer.pem"]
        + ["-cert", tmp_path / "leaf.pem", "-no_nonce", "-reqout", tmp_path / "req.der"],
        check=True,
        capture_output=True,
    )
    query = parse_request((tmp_path / "req.der").read_bytes())
    algorithm = hashes.SHA1() if digest == "sha1" else hashes.SHA256()  # noqa: S303
    expected = cert_id_for(cert.serial_number, any_pki.intermediate.certificate, algorithm)
    assert query.cert_id.issuer_name_hash == expected.issuer_name_hash
    assert query.cert_id.issuer_key_hash == expected.issuer_key_hash
    assert query.cert_id.serial == expected.serial
    assert query.cert_id.algorithm.name == digest


def test_cert_id_of_a_root_matches_cryptographys_own(pki: TestPki) -> None:
    # For a self-signed certificate, issuer field and subject coincide.
    root = pki.root.certificate
    request = ocsp.OCSPRequestBuilder().add_certificate(root, root, hashes.SHA1()).build()  # noqa: S303
    assert issuer_hashes(root) == (request.issuer_name_hash, request.issuer_key_hash)


@pytest.mark.parametrize(
    "status",
    [
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
        ocsp.OCSPResponseStatus.UNAUTHORIZED,
        ocsp.OCSPResponseStatus.INTERNAL_ERROR,
        ocsp.OCSPResponseStatus.TRY_LATER,
    ],
)
def test_error_responses_are_unsigned_with_their_status(status: ocsp.OCSPResponseStatus) -> None:
    response = ocsp.load_der_ocsp_response(error_response(status))
    assert response.response_status is status
    assert next_update_of(error_response(status)) is None


def test_next_update_of_a_signed_response(pki: TestPki) -> None:
    data = pki.ocsp_response(pki.client())
    assert next_update_of(data) == EVERYTHING_VALID + DEFAULT_RESPONSE_VALIDITY
