"""Findings 8 and 9: oversized uploads are refused before they are read (413), and odd or
forged certificates get a verdict, never a 500.

Before: a 200 MiB `/check/` upload was spooled to disk before the 64 KiB check, and a
certificate naming a jitsuin CA as its issuer without being signed by it (or signed with DSA,
Ed25519, Ed448, RSA-PSS) hit `x509.InvalidSignature`, which does not exist: AttributeError, 500.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of
from jitsuin.portal.uploads import CHECK_MAX_BODY

pytestmark = pytest.mark.django_db
HUGE = str(200 * 1024 * 1024)

# --- 413 before the body is read ------------------------------------------------------------


def test_a_check_upload_declaring_200_mib_is_refused_before_reading(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("big.pem", b"x" * 1024)
    response = client.post("/check/", {"certificate": upload}, CONTENT_LENGTH=HUGE)
    assert response.status_code == 413
    assert "KiB" in response.content.decode()


def test_a_real_oversized_multipart_upload_is_refused(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("big.p12", b"x" * (CHECK_MAX_BODY + 1))
    response = client.post("/check/", {"certificate": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_the_api_answers_413_in_json_in_the_callers_language(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    body = json.dumps({"certificate": "A" * (CHECK_MAX_BODY + 10)})
    ja = client.post("/api/v1/check", body, content_type="application/json")
    assert ja.status_code == 413
    assert ja.json()["code"] == "too_large" and "大きすぎます" in ja.json()["message"]
    en = client.post(
        "/api/v1/check", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert en.status_code == 413 and "too large" in en.json()["message"]


def test_a_body_without_content_length_is_never_read(ca_hierarchy):  # type: ignore[no-untyped-def]
    """A chunked body (no Content-Length): Django reads nothing past the declared length."""
    stream = io.BytesIO(b"--x\r\n" + b"A" * (4 * 1024 * 1024))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/check/",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
    }
    statuses: list[str] = []
    WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    assert not statuses[0].startswith("5")
    assert stream.tell() == 0


# --- odd certificates: a verdict, never a 500 ----------------------------------------------

KINDS = ("rsa", "rsa-pss", "p256", "p384", "dsa", "ed25519", "ed448")


@cache
def _key(kind: str):  # type: ignore[no-untyped-def]
    if kind in ("rsa", "rsa-pss"):
        return rsa.generate_private_key(65537, 2048)
    if kind == "dsa":
        return dsa.generate_private_key(2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1() if kind == "p256" else ec.SECP384R1())


def _certificate(kind: str, issuer: x509.Name, serial: int, ca: bool) -> x509.Certificate:
    key = _key(kind)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string(f"CN=odd {kind} {serial}"))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if kind in ("ed25519", "ed448"):
        return builder.sign(key, None)
    if kind == "rsa-pss":
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
        return builder.sign(key, hashes.SHA256(), rsa_padding=pss)
    return builder.sign(key, hashes.SHA256())


odd_certificates = st.builds(
    lambda kind, forged, serial, ca: (kind, forged, serial, ca),
    st.sampled_from(KINDS),
    st.booleans(),
    st.integers(min_value=1, max_value=2**159 - 1),  # RFC 5280: at most 20 octets
    st.booleans(),
)


def _issuer_name(forged: bool) -> x509.Name:
    if forged:  # the subject of a jitsuin CA: same name, other key
        return certificate_of(Authority.objects.order_by("-pk").first()).subject
    return x509.Name.from_rfc4514_string("CN=Somebody Else CA")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(odd=odd_certificates)
def test_odd_and_forged_certificates_get_a_verdict_everywhere(ca_hierarchy, client, tmp_path, odd):  # type: ignore[no-untyped-def]
    kind, forged, serial, ca = odd
    certificate = _certificate(kind, _issuer_name(forged), serial, ca)
    pem = certificate.public_bytes(serialization.Encoding.PEM)

    page = client.post("/check/", {"certificate": SimpleUploadedFile("odd.pem", pem)})
    assert page.status_code == 200
    assert page.context["verdict"].status == "unknown_issuer"

    der = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    api = client.post(
        "/api/v1/check", {"certificate": der, "lang": "en"}, content_type="application/json"
    )
    assert api.status_code == 200, api.content
    assert api.json()["status"] == "unknown_issuer"
    assert "not issued by a CA of this institution" in api.json()["message"]

    path = tmp_path / f"{kind}-{serial}.pem"
    path.write_bytes(pem)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check", str(path), "--lang", "en", stdout=out)
    assert exited.value.code == 1  # "not valid", not a crash
    assert out.getvalue().startswith("unknown_issuer:")


def test_the_cli_refuses_a_pkcs12_bomb_with_a_message(ca_hierarchy, tmp_path):  # type: ignore[no-untyped-def]
    from tests.pki.pfx_bombs import BOMB_PIN, mac_bomb

    path = tmp_path / "bomb.p12"
    path.write_bytes(mac_bomb())
    with pytest.raises(CommandError, match="iterations"):
        call_command("check", str(path), "--pin", BOMB_PIN)
