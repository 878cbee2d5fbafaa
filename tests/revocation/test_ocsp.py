import base64
import urllib.parse
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitsuin.authorities.models import OcspResponse
from jitsuin.authorities.publishing import changes as publishing
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle import sightings
from jitsuin.lifecycle.models import Certificate

from .factories import issue, revoke
from .lint import pkilint

pytestmark = pytest.mark.django_db
DER = serialization.Encoding.DER
SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertIDs)


def _request(issued, *, nonce: bytes | None = None, algorithm=None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        issued.certificate, certificate_of(issued.issuer), algorithm or SHA1
    )
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(DER)


def _post(client, body: bytes, content_type="application/ocsp-request"):
    return client.post("/ocsp", data=body, content_type=content_type)


def test_a_fresh_certificate_is_good_from_the_presigned_store(client, pki):
    fresh = issue(pki.current)
    assert OcspResponse.objects.filter(issuer=pki.current, status="good").count() == 1
    answer = _post(client, _request(fresh))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/ocsp-response"
    response = ocsp.load_der_ocsp_response(answer.content)
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert "max-age=" in answer["Cache-Control"] and answer["ETag"] and answer["Last-Modified"]
    stored = OcspResponse.objects.get(issuer=pki.current)
    assert answer.content == bytes(stored.der)
    pkilint("lint_ocsp_response", answer.content)


def test_revocation_resigns_the_stored_response_at_once(client, pki):
    issued = issue(pki.current)
    revoke(issued, reason="superseded")
    response = ocsp.load_der_ocsp_response(_post(client, _request(issued)).content)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.superseded
    pkilint("lint_ocsp_response", _post(client, _request(issued)).content)


def test_get_the_rfc5019_way_gives_the_same_bytes_as_post(client, pki):
    issued = issue(pki.current)
    body = _request(issued)
    encoded = urllib.parse.quote(base64.b64encode(body).decode(), safe="")
    answer = client.get(f"/ocsp/{encoded}")
    assert answer.status_code == 200
    assert answer.content == _post(client, body).content
    again = client.get(f"/ocsp/{encoded}", HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304


def test_a_nonce_is_answered_with_the_same_nonce_signed_live(client, pki):
    issued = issue(pki.current)
    response = ocsp.load_der_ocsp_response(_post(client, _request(issued, nonce=b"n" * 16)).content)
    nonce = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == b"n" * 16
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    pkilint("lint_ocsp_response", response.public_bytes(DER))


def test_sha256_cert_ids_are_answered_too(client, pki):
    issued = issue(pki.current)
    response = ocsp.load_der_ocsp_response(
        _post(client, _request(issued, algorithm=hashes.SHA256())).content
    )
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert isinstance(response.hash_algorithm, hashes.SHA256)


def test_an_unknown_issuer_is_unauthorized(client, pki, tmp_path):
    from jitsuin.pki.clock import FixedClock
    from jitsuin.pki.issuance import create_root
    from jitsuin.pki.keys import KeySpec, generate_private_key

    key = generate_private_key(KeySpec.parse("p256"))
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Someone Else")])
    stranger = create_root(name, key, FixedClock(timezone.now()))
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(b"\x00" * 20, b"\x01" * 20, 12345, SHA1)
        .build()
        .public_bytes(DER)
    )
    for data in (body, _request_for(stranger)):
        response = ocsp.load_der_ocsp_response(_post(client, data).content)
        assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def _request_for(ca: x509.Certificate) -> bytes:
    return ocsp.OCSPRequestBuilder().add_certificate(ca, ca, SHA1).build().public_bytes(DER)


def test_garbage_is_a_malformed_request(client, pki):
    for body in (b"", b"hello", b"\x30\x03\x02\x01\x01"):
        answer = _post(client, body)
        assert answer.status_code == 200
        response = ocsp.load_der_ocsp_response(answer.content)
        assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert ocsp.load_der_ocsp_response(client.get("/ocsp/%%%").content).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_a_huge_body_is_refused_without_reading_it(client, pki):
    answer = _post(client, b"\x30" * (1024 * 1024))
    response = ocsp.load_der_ocsp_response(answer.content)
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_certificates_under_a_revoked_intermediate_are_answered_revoked(client, pki):
    under_old = issue(pki.old)
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    response = ocsp.load_der_ocsp_response(_post(client, _request(under_old)).content)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    # and the root answers for the intermediate itself
    old_ca = certificate_of(pki.old)
    body = ocsp.OCSPRequestBuilder().add_certificate(old_ca, certificate_of(pki.root), SHA1)
    answer = ocsp.load_der_ocsp_response(_post(client, body.build().public_bytes(DER)).content)
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    pkilint("lint_ocsp_response", _post(client, body.build().public_bytes(DER)).content)


def test_an_unissued_serial_of_a_known_issuer_is_unknown(client, pki):
    body = ocsp.OCSPRequestBuilder().add_certificate_by_hash(*_hashes(pki.current), 424242, SHA1)
    response = ocsp.load_der_ocsp_response(_post(client, body.build().public_bytes(DER)).content)
    assert response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _hashes(authority):
    from jitsuin.pki.ocsp import issuer_hashes

    return issuer_hashes(certificate_of(authority))


def test_queries_are_recorded_as_sightings_in_batches(client, pki):
    issued = issue(pki.current)
    body = _request(issued)
    for _ in range(5):
        _post(client, body)
    assert Certificate.objects.get(pk=issued.row.pk).last_seen_at is None  # buffered
    assert sightings.flush() == 1
    assert Certificate.objects.get(pk=issued.row.pk).last_seen_at is not None


def test_refresh_resigns_responses_close_to_next_update(pki):
    from jitsuin.authorities.publishing import ocsp_signing

    issued = issue(pki.current)
    before = OcspResponse.objects.get(issuer=pki.current).this_update
    assert ocsp_signing.refresh_responses(timezone.now()) == 0
    later = timezone.now() + timedelta(hours=13)
    assert ocsp_signing.refresh_responses(later) == 1
    assert OcspResponse.objects.get(issuer=pki.current).this_update > before
    assert issued


def _bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, and truncated, extended and mutated copies of a valid request."""
    return st.one_of(
        st.binary(max_size=600),
        st.builds(lambda n, b: valid[:n] + b, st.integers(0, len(valid)), st.binary(max_size=20)),
        st.builds(
            lambda i, v: valid[:i] + bytes([v]) + valid[i + 1 :],
            st.integers(0, len(valid) - 1),
            st.integers(0, 255),
        ),
    )


@pytest.fixture
def valid_request(pki):
    return _request(issue(pki.current))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.data(),
    content_type=st.sampled_from(
        ["application/ocsp-request", "text/plain", "application/json", "", "multipart/form-data"]
    ),
)
def test_fuzzed_requests_never_get_a_500(client, valid_request, data, content_type):
    body = data.draw(_bodies(valid_request), label="body")
    answer = client.post("/ocsp", data=body, content_type=content_type)
    assert answer.status_code == 200
    status = ocsp.load_der_ocsp_response(answer.content).response_status
    assert status != ocsp.OCSPResponseStatus.INTERNAL_ERROR
    get = client.get("/ocsp/" + urllib.parse.quote(base64.b64encode(body).decode(), safe=""))
    assert get.status_code == 200


def test_static_export_is_addressed_the_rfc5019_get_way(client, pki, tmp_path):
    from jitsuin.authorities.publishing import ocsp_export

    issued = issue(pki.current)
    assert ocsp_export.export_static(tmp_path) == 1
    encoded = base64.b64encode(_request(issued)).decode()
    assert (tmp_path / encoded).read_bytes() == _post(client, _request(issued)).content


def test_a_negative_serial_is_malformed_not_an_internal_error(client, pki):
    from jitsuin.pki.ocsp import issuer_hashes

    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(*issuer_hashes(certificate_of(pki.current)), 5, SHA1)
        .build()
        .public_bytes(DER)
        .replace(b"\x02\x01\x05", b"\x02\x01\x85")
    )
    response = ocsp.load_der_ocsp_response(_post(client, body).content)
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_a_repeated_issued_notice_replaces_the_presigned_response(pki):
    fresh = issue(pki.current)
    first = OcspResponse.objects.get(issuer=pki.current)
    with transaction.atomic():  # a retried task tells publishing again
        publishing.certificate_issued(fresh.row)
    second = OcspResponse.objects.get(issuer=pki.current)
    assert second.pk == first.pk and second.this_update >= first.this_update
    assert second.serial == f"{fresh.certificate.serial_number:x}"
    response = ocsp.load_der_ocsp_response(bytes(second.der))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == fresh.certificate.serial_number


def test_issued_under_a_revoked_intermediate_is_presigned_revoked(pki):
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    late = issue(pki.old)
    stored = OcspResponse.objects.get(issuer=pki.old, serial=late.row.serial)
    assert stored.status == "revoked"
    response = ocsp.load_der_ocsp_response(bytes(stored.der))
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
