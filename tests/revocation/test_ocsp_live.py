"""Nonce requests (FreeRADIUS ``use_nonce = yes``) are signed live from the certificate's status
as this process knows it: one indexed query, or memory for JITSUIN_OCSP_CACHE_TTL. A change
made in this process is answered at once, one made elsewhere within the TTL."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import ocsp_status, periodic
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle.models import Certificate, CertificateStatus
from jitsuin.pki.ocsp import cert_id_for
from jitsuin.revocation.fastpath import OcspWsgi

from .factories import issue, revoke
from .test_fastpath import _call, _Downstream

pytestmark = pytest.mark.django_db
DER = serialization.Encoding.DER
SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertIDs)


def _nonced(issued, nonce: bytes) -> bytes:
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(issued.certificate, certificate_of(issued.issuer), SHA1)
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
        .public_bytes(DER)
    )


def _ask(issued, nonce: bytes = b"n" * 16) -> ocsp.OCSPResponse:
    status, headers, body = _call(OcspWsgi(_Downstream()), "POST", "/ocsp", _nonced(issued, nonce))
    assert status == "200 OK" and headers["Cache-Control"] == "no-store"
    response = ocsp.load_der_ocsp_response(body)
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    return response


def test_each_nonce_is_echoed_and_a_repeat_needs_no_query(pki):
    issued = issue(pki.current)
    with CaptureQueriesContext(connection) as first:
        assert _ask(issued, b"a" * 16).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert any("lifecycle_certificate" in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as again:
        response = _ask(issued, b"b" * 32)
    assert again.captured_queries == []
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == issued.certificate.serial_number


def test_a_revocation_in_this_process_is_answered_at_once(pki):
    issued = issue(pki.current)
    assert _ask(issued).certificate_status == ocsp.OCSPCertStatus.GOOD  # now in memory
    revoke(issued, reason="keyCompromise")
    response = _ask(issued, b"x" * 20)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise


def test_a_revocation_elsewhere_is_answered_within_the_ttl(pki, monkeypatch):
    issued = issue(pki.current)
    assert _ask(issued).certificate_status == ocsp.OCSPCertStatus.GOOD
    # Another process revokes: the row changes, this process's memory is not told.
    Certificate.objects.filter(pk=issued.row.pk).update(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now() - timedelta(seconds=1),
        revocation_reason="superseded",
    )
    assert _ask(issued).certificate_status == ocsp.OCSPCertStatus.GOOD  # within the TTL
    ttl = ocsp_status.timings().ocsp_cache_ttl.total_seconds()
    later = ocsp_status.clock() + ttl + 0.01
    monkeypatch.setattr(ocsp_status, "clock", lambda: later)
    response = _ask(issued)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.superseded


def test_a_scheduled_revocation_takes_effect_at_its_time_even_from_memory(pki):
    issued = issue(pki.current)
    Certificate.objects.filter(pk=issued.row.pk).update(
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now() + timedelta(milliseconds=300),
        revocation_reason="superseded",
    )
    assert _ask(issued).certificate_status == ocsp.OCSPCertStatus.GOOD  # not yet
    time.sleep(0.35)
    assert _ask(issued).certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_with_a_ttl_of_zero_every_nonce_request_reads_the_status(pki, monkeypatch):
    zero = dataclasses.replace(ocsp_status.timings(), ocsp_cache_ttl=timedelta(0))
    monkeypatch.setattr(ocsp_status, "timings", lambda: zero)
    issued = issue(pki.current)
    for nonce in (b"1" * 16, b"2" * 16):
        with CaptureQueriesContext(connection) as queries:
            _ask(issued, nonce)
        assert sum("lifecycle_certificate" in q["sql"] for q in queries.captured_queries) == 1
    assert len(ocsp_status.facts_by_serial) == 0


def test_an_unissued_serial_is_unknown_with_a_nonce_too(pki):
    cert_id = cert_id_for(0x7E57_0000_1234, certificate_of(pki.current))
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            cert_id.issuer_name_hash, cert_id.issuer_key_hash, cert_id.serial, SHA1
        )
        .add_extension(x509.OCSPNonce(b"u" * 16), critical=False)
        .build()
        .public_bytes(DER)
    )
    for _ in range(2):  # read, then from memory
        _, _, answer = _call(OcspWsgi(_Downstream()), "POST", "/ocsp", body)
        response = ocsp.load_der_ocsp_response(answer)
        assert response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _responder_of(response: ocsp.OCSPResponse) -> bytes:
    return response.certificates[0].public_bytes(DER)


def test_a_responder_renewed_in_this_process_signs_the_next_answer(pki):
    issued = issue(pki.current)
    before = _ask(issued)
    soon = timezone.now() + timedelta(days=89)  # within a month of the responder's end
    renewed = periodic.renew_responders(soon)
    assert pki.current.pk in {a.pk for a in renewed}
    new = bytes(Authority.objects.get(pk=pki.current.pk).ocsp_certificate_der)
    after = _ask(issued)
    assert _responder_of(before) != new and _responder_of(after) == new
    public_key = x509.load_der_x509_certificate(new).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        after.signature, after.tbs_response_bytes, ec.ECDSA(after.signature_hash_algorithm)
    )


def test_a_responder_renewed_elsewhere_signs_once_the_index_is_reread(pki):
    from jitsuin.authorities.services import renew_ocsp_signer

    issued = issue(pki.current)
    _ask(issued)
    renew_ocsp_signer(pki.current)  # as the worker does in its own process: nothing told here
    new = bytes(Authority.objects.get(pk=pki.current.pk).ocsp_certificate_der)
    ocsp_status.issuers.invalidate()  # what INDEX_TTL seconds do
    assert _responder_of(_ask(issued)) == new
