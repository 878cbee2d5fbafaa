"""Finding 4 and note 12a: /ocsp memory stays bounded whatever the requests carry.

Answers used to be cached by the raw request bytes, so 16 KiB of padding in an unknown
non-critical extension made each request a new 16 KiB key (about 3 GB per process). Now the
cache is keyed by CertID and bounded in bytes, requests over a few KiB are malformed, and so
are nonces outside 1-128 octets (RFC 9654).
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ObjectIdentifier

from jitsuin.authorities.publishing import ocsp_store
from jitsuin.authorities.publishing.answer_cache import ByteBoundedCache
from jitsuin.authorities.services import certificate_of
from jitsuin.pki.ocsp import MAX_REQUEST_SIZE
from jitsuin.revocation import answer as responder
from jitsuin.revocation.fastpath import respond
from tests.revocation.conftest import (  # noqa: F401 (autouse: fresh OCSP caches, no background flush)
    _fresh_process_caches,
)
from tests.revocation.factories import issue, make_hierarchy

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024
PADDING_OID = ObjectIdentifier("1.3.6.1.4.1.99999.1")  # as in the review's ocsp_mem.py


@pytest.fixture
def issued(db):  # type: ignore[no-untyped-def]
    return issue(make_hierarchy().current, uid="padded")


def _request(issued, *, padding: int = 0, tag: int = 0, nonce: bytes | None = None) -> bytes:  # type: ignore[no-untyped-def]
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        issued.certificate,
        certificate_of(issued.issuer),
        hashes.SHA1(),  # noqa: S303 (RFC 5019 CertIDs)
    )
    if padding:
        value = tag.to_bytes(8, "big") + b"A" * padding
        builder = builder.add_extension(
            x509.UnrecognizedExtension(PADDING_OID, value), critical=False
        )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _post(der: bytes) -> ocsp.OCSPResponse:
    answer = respond(
        "POST", "/ocsp", content_length=str(len(der)), read=lambda n: der[:n], if_none_match=None
    )
    assert answer.status == 200
    return ocsp.load_der_ocsp_response(answer.body)


def test_ten_thousand_distinct_padded_requests_do_not_grow_memory(issued) -> None:  # type: ignore[no-untyped-def]
    first = _post(_request(issued, padding=3000))
    assert first.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for tag in range(1, 10_001):
            der = _request(issued, padding=3000, tag=tag)
            assert len(der) > 3000
            responder.answer(der)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 20 * MiB  # the raw-bytes cache grew by 10,000 x 3 KB = 30 MB
    # One certificate asked about: one cached answer, whatever the padding.
    assert len(ocsp_store.answers_by_cert_id) == 1
    assert ocsp_store.answers_by_cert_id.size + ocsp_store.stored_responses.size < 64 * 1024


def test_the_cache_is_bounded_in_bytes() -> None:
    cache: ByteBoundedCache[int, bytes] = ByteBoundedCache(lambda: 100_000)
    for key in range(1000):
        cache.put(key, b"x" * 1500, 1500)
        assert cache.size <= 100_000
    assert cache.get(999) is not None and cache.get(0) is None  # the oldest went first
    cache.put(-1, b"huge", 200_000)  # larger than the whole budget: not kept
    assert cache.get(-1) is None


def test_nonce_requests_are_answered_live_and_never_cached(issued) -> None:  # type: ignore[no-untyped-def]
    for nonce in (b"a", b"b"):
        response = _post(_request(issued, nonce=nonce * 16))
        assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
        assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce * 16
    assert len(ocsp_store.answers_by_cert_id) == 0


def test_a_request_larger_than_a_few_kib_is_malformed(issued) -> None:  # type: ignore[no-untyped-def]
    der = _request(issued, padding=16_000)  # the review's 16 KiB variant
    assert len(der) > MAX_REQUEST_SIZE
    assert _post(der).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert responder.answer(der).der == responder.error(responder.MALFORMED).der


@pytest.mark.parametrize("size", [0, 129, 16_000 // 8])
def test_nonces_outside_1_to_128_octets_are_malformed(issued, size) -> None:  # type: ignore[no-untyped-def]
    response = _post(_request(issued, nonce=b"n" * size))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.parametrize("size", [1, 32, 128])
def test_nonces_of_1_to_128_octets_are_echoed(issued, size) -> None:  # type: ignore[no-untyped-def]
    response = _post(_request(issued, nonce=b"n" * size))
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert echoed == b"n" * size
