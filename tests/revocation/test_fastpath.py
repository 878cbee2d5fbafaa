"""/ocsp skips the rest of Django: no session, user, CSRF or language work, few queries."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from jitsuin.authorities.services import certificate_of
from jitsuin.revocation.fastpath import OcspWsgi

from .factories import issue

pytestmark = pytest.mark.django_db
DER = serialization.Encoding.DER
SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertIDs)


def _request(issued) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        issued.certificate, certificate_of(issued.issuer), SHA1
    )
    return builder.build().public_bytes(DER)


class _Downstream:
    """The rest of the site as the WSGI wrapper sees it: records what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"django"]


def _call(app, method: str, path: str, body: bytes = b"", **headers: str):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "ocsp.example.ac.jp",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        # More bytes than Content-Length, as on a keep-alive socket: never read past it.
        "wsgi.input": io.BytesIO(body + b"NEXT REQUEST"),
        "CONTENT_LENGTH": str(len(body)) if body else "",
        **headers,
    }
    seen: dict[str, object] = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = dict(response_headers)

    # As Django's test client does: the test's transaction keeps its connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], content


def test_the_middleware_comes_first_and_the_wsgi_entry_point_wraps_django():
    from jitsuin import wsgi

    assert settings.MIDDLEWARE[0] == "jitsuin.revocation.fastpath.OcspFastPath"
    assert isinstance(wsgi.application, OcspWsgi)


def test_a_stored_answer_costs_one_query_and_then_none(client, pki):
    issued = issue(pki.current)
    body = _request(issued)
    with CaptureQueriesContext(connection) as first:
        answer = client.post("/ocsp", data=body, content_type="application/ocsp-request")
    assert answer.status_code == 200
    assert len(first.captured_queries) <= 2  # the authorities (every few seconds), the row
    assert any("revocation_ocspresponse" in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as again:
        second = client.post("/ocsp", data=body, content_type="application/ocsp-request")
    assert len(again.captured_queries) == 0  # from this process's memory
    assert second.content == answer.content
    assert not answer.cookies and "Vary" not in answer
    assert answer["Content-Length"] == str(len(answer.content))


def test_the_wsgi_fast_path_answers_like_django_and_passes_everything_else_on(client, pki):
    issued = issue(pki.current)
    body = _request(issued)
    downstream = _Downstream()
    app = OcspWsgi(downstream)
    status, headers, content = _call(
        app, "POST", "/ocsp", body, CONTENT_TYPE="application/ocsp-request"
    )
    assert status == "200 OK" and headers["Content-Type"] == "application/ocsp-response"
    assert headers["Content-Length"] == str(len(content))
    django = client.post("/ocsp", data=body, content_type="application/ocsp-request")
    assert content == django.content and headers["ETag"] == django["ETag"]

    encoded = base64.b64encode(body).decode()
    status, headers, got = _call(app, "GET", f"/ocsp/{encoded}")
    assert status == "200 OK" and got == content
    status, _, _ = _call(app, "GET", f"/ocsp/{encoded}", HTTP_IF_NONE_MATCH=headers["ETag"])
    assert status == "304 Not Modified"
    status, headers, got = _call(app, "HEAD", f"/ocsp/{encoded}")
    assert status == "200 OK" and got == b"" and headers["Content-Length"] == str(len(content))

    status, headers, _ = _call(app, "PUT", "/ocsp", body)
    assert status.startswith("405") and "POST" in headers["Allow"]
    status, _, got = _call(app, "POST", "/ocsp", b"garbage")
    assert ocsp.load_der_ocsp_response(got).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert downstream.paths == []
    for path in ("/", "/ocspx", "/crl/bundle.pem", "/console/"):
        assert _call(app, "GET", path)[2] == b"django"
    assert downstream.paths == ["/", "/ocspx", "/crl/bundle.pem", "/console/"]


def test_other_methods_on_ocsp_are_refused_without_a_csrf_page(client, pki):
    answer = client.put("/ocsp", data=b"x", content_type="application/ocsp-request")
    assert answer.status_code == 405 and "POST" in answer["Allow"]


def test_a_revocation_in_this_process_is_answered_at_once_despite_the_memory(client, pki):
    from .factories import revoke

    issued = issue(pki.current)
    body = _request(issued)

    def status():
        answer = client.post("/ocsp", data=body, content_type="application/ocsp-request")
        return ocsp.load_der_ocsp_response(answer.content).certificate_status

    assert status() == status() == ocsp.OCSPCertStatus.GOOD  # the second from memory
    revoke(issued, reason="keyCompromise")
    assert status() == ocsp.OCSPCertStatus.REVOKED
