"""Finding 7: only the public host and loopback names are answered by default, so a page that
rebinds its own DNS name to jitsuin cannot drive a campus browser against the portal."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.conf import settings

from jitsuin.authorities.services import certificate_of
from jitsuin.config import JitsuinConfig, current
from tests.revocation.conftest import (  # noqa: F401 (autouse: fresh OCSP caches, no background flush)
    _fresh_process_caches,
)

pytestmark = pytest.mark.django_db
CAMPUS = {"REMOTE_ADDR": "10.1.2.3"}  # inside the allowed networks: only the Host differs


def test_a_foreign_host_header_is_refused(client):
    answer = client.get("/account/login/", HTTP_HOST="attacker.example:8201", **CAMPUS)
    assert answer.status_code == 400


def test_the_public_host_and_loopback_are_answered(client):
    public_host = current().public_url.split("/")[2]  # "127.0.0.1:8000" in the tests
    for host in (public_host, "localhost:8000", "[::1]:8000"):
        assert client.get("/account/login/", HTTP_HOST=host, **CAMPUS).status_code == 200


def test_the_default_comes_from_the_public_url():
    config = JitsuinConfig.from_env({"JITSUIN_PUBLIC_URL": "https://PKI.example.ac.jp/"})
    assert config.allowed_hosts == ("pki.example.ac.jp", "localhost", "127.0.0.1", "[::1]")
    v6 = JitsuinConfig.from_env({"JITSUIN_PUBLIC_URL": "http://[2001:db8::1]:8000"})
    assert v6.allowed_hosts[0] == "[2001:db8::1]"
    assert "*" not in settings.ALLOWED_HOSTS


def test_any_host_only_when_asked_for_explicitly():
    assert JitsuinConfig.from_env({"JITSUIN_ALLOWED_HOSTS": "*"}).allowed_hosts == ("*",)
    listed = JitsuinConfig.from_env({"JITSUIN_ALLOWED_HOSTS": "pki.example.ac.jp, .internal"})
    assert listed.allowed_hosts == ("pki.example.ac.jp", ".internal")


def test_ocsp_answers_whatever_host_a_relying_party_uses(client, ca_hierarchy):
    """By design: an OCSP answer is signed and public, and responders are configured by URL."""
    root, intermediate = ca_hierarchy.root, ca_hierarchy.intermediate
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate_of(intermediate), certificate_of(root), hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    answer = client.post(
        "/ocsp",
        request,
        content_type="application/ocsp-request",
        HTTP_HOST="ocsp.elsewhere.example",
        REMOTE_ADDR="203.0.113.9",
    )
    assert answer.status_code == 200
    assert ocsp.load_der_ocsp_response(answer.content).response_status == (
        ocsp.OCSPResponseStatus.SUCCESSFUL
    )
