"""OCSP responses encoded once (``pki.ocsp_der``): the builder's answer, byte for byte."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from jitsuin.pki import ocsp as ocsp_module
from jitsuin.pki import ocsp_der
from jitsuin.pki.ocsp import (
    CertStatus,
    SingleStatus,
    cert_id_for,
    prepare_responder,
    sign_response,
)
from jitsuin.pki.ocsp_der import Answer, sign_with_builder
from tests.pki.factories import EVERYTHING_VALID, TestPki, verify_ocsp_signature

REVOKED_AT = EVERYTHING_VALID - timedelta(hours=6, microseconds=250)
STATUSES = [
    SingleStatus(CertStatus.GOOD),
    SingleStatus(CertStatus.UNKNOWN),
    SingleStatus(CertStatus.REVOKED, REVOKED_AT),
    *(SingleStatus(CertStatus.REVOKED, REVOKED_AT, reason) for reason in x509.ReasonFlags),
]
ALGORITHMS = [hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()]  # noqa: S303


def _both(pki: TestPki, status: SingleStatus, algorithm: hashes.HashAlgorithm, nonce: bytes | None):
    """The encoder's answer and the builder's for the same request, signed in the same second
    (producedAt is the clock's)."""
    prepared = prepare_responder(pki.ocsp, (pki.intermediate.certificate,))
    assert prepared.encoder is not None
    cert_id = cert_id_for(pki.client().serial_number, pki.intermediate.certificate, algorithm)
    revoked = status.status is CertStatus.REVOKED
    answer = Answer(
        cert_id,
        ocsp.OCSPCertStatus[status.status.name],
        EVERYTHING_VALID,
        EVERYTHING_VALID + timedelta(days=1),
        status.revoked_at if revoked else None,
        status.reason,
        nonce,
    )
    for _ in range(3):
        ours = ocsp.load_der_ocsp_response(
            sign_response(
                cert_id, status, responder=prepared, this_update=EVERYTHING_VALID, nonce=nonce
            )
        )
        builders = ocsp.load_der_ocsp_response(
            sign_with_builder(
                prepared.builder, prepared.private_key, answer, prepared.hash_algorithm
            )
        )
        if ours.produced_at_utc == builders.produced_at_utc:
            return ours, builders
    raise AssertionError("three pairs crossed a second")


def _verify(pki: TestPki, response: ocsp.OCSPResponse) -> None:
    verify_ocsp_signature(response, pki.ocsp.certificate)


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: f"{s.status.value}-{s.reason}")
@pytest.mark.parametrize("nonce", [None, bytes(range(32))], ids=["pre-signed", "nonce"])
def test_each_status_is_the_builders_tbs_and_certificates(
    any_pki: TestPki, status: SingleStatus, nonce: bytes | None
) -> None:
    ours, builders = _both(any_pki, status, hashes.SHA1(), nonce)  # noqa: S303
    assert ours.tbs_response_bytes == builders.tbs_response_bytes
    assert ours.certificates == builders.certificates
    assert ours.signature_algorithm_oid == builders.signature_algorithm_oid
    _verify(any_pki, ours)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_each_cert_id_hash_is_the_builders(pki: TestPki, algorithm: hashes.HashAlgorithm) -> None:
    ours, builders = _both(pki, SingleStatus(CertStatus.GOOD), algorithm, b"\x07" * 16)
    assert ours.tbs_response_bytes == builders.tbs_response_bytes
    assert ours.hash_algorithm.name == algorithm.name


def test_the_whole_response_is_the_builders_but_for_the_signature(pki: TestPki) -> None:
    ours, builders = _both(pki, SingleStatus(CertStatus.GOOD), hashes.SHA1(), bytes(32))  # noqa: S303
    mine, theirs = (
        asn1_ocsp.OCSPResponse.load(response.public_bytes(serialization.Encoding.DER))
        for response in (ours, builders)
    )
    assert mine["response_status"].dump() == theirs["response_status"].dump()
    assert mine["response_bytes"]["response_type"] == theirs["response_bytes"]["response_type"]
    basic, reference = (r["response_bytes"]["response"].parsed for r in (mine, theirs))
    for part in ("tbs_response_data", "signature_algorithm", "certs"):
        assert basic[part].dump() == reference[part].dump()


def test_what_is_learnt_once_is_not_asked_of_the_builder_again(
    pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = prepare_responder(pki.ocsp, (pki.intermediate.certificate,))
    cert_id = cert_id_for(pki.client().serial_number, pki.intermediate.certificate)
    compromised = SingleStatus(CertStatus.REVOKED, REVOKED_AT, x509.ReasonFlags.key_compromise)
    sign_response(cert_id, compromised, responder=prepared, this_update=EVERYTHING_VALID)

    def no_builder(*args: object) -> bytes:
        raise AssertionError("the builder was asked again")

    # Both names: the encoder's (learning) and sign_response's (the builder's answer).
    monkeypatch.setattr(ocsp_der, "sign_with_builder", no_builder)
    monkeypatch.setattr(ocsp_module, "sign_with_builder", no_builder)
    for status in (compromised, SingleStatus(CertStatus.GOOD), SingleStatus(CertStatus.UNKNOWN)):
        data = sign_response(cert_id, status, responder=prepared, this_update=EVERYTHING_VALID)
        assert ocsp.load_der_ocsp_response(data).certificate_status.name == status.status.name


def test_an_encoder_that_differs_from_the_builder_is_not_used(
    pki: TestPki, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = ocsp_der._encode

    def off_by_one(parts, key, answer, produced_at):  # type: ignore[no-untyped-def]
        wrong = Answer(**{**answer.__dict__, "next_update": answer.next_update + timedelta(1)})
        return real(parts, key, wrong, produced_at)

    monkeypatch.setattr(ocsp_der, "_encode", off_by_one)
    with caplog.at_level(logging.WARNING, logger="jitsuin.pki.ocsp_der"):
        prepared = prepare_responder(pki.ocsp, (pki.intermediate.certificate,))
    assert prepared.encoder is None
    assert "differs from the builder's" in caplog.text
    cert_id = cert_id_for(pki.client().serial_number, pki.intermediate.certificate)
    response = ocsp.load_der_ocsp_response(
        sign_response(
            cert_id, SingleStatus(CertStatus.GOOD), responder=prepared, this_update=EVERYTHING_VALID
        )
    )
    assert response.next_update_utc == EVERYTHING_VALID + timedelta(days=1)
    _verify(pki, response)


def test_without_the_declarative_module_the_builder_answers(
    pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocsp_der, "asn1", None)
    prepared = prepare_responder(pki.ocsp)
    assert prepared.encoder is None
    cert_id = cert_id_for(pki.client().serial_number, pki.intermediate.certificate)
    data = sign_response(
        cert_id, SingleStatus(CertStatus.GOOD), responder=prepared, this_update=EVERYTHING_VALID
    )
    assert ocsp.load_der_ocsp_response(data).serial_number == cert_id.serial


def test_times_are_written_as_the_builder_writes_them() -> None:
    # Whole seconds in UTC; a naive time is UTC.
    moment = EVERYTHING_VALID.replace(microsecond=999_999)
    assert ocsp_der.utc_seconds(moment) == EVERYTHING_VALID.replace(microsecond=0)
    assert ocsp_der.utc_seconds(moment.replace(tzinfo=None)) == ocsp_der.utc_seconds(moment)
