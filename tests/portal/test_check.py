"""Is my certificate still good? Upload PEM, DER or PKCS#12 (with its PIN); nothing is stored."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile

from jitsuin.lifecycle.services import collect_pickup, reveal_pin
from tests.portal.conftest import give_certificate

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_a_valid_pem_certificate_is_reported_valid(alice_cert, client):
    pem = x509.load_der_x509_certificate(bytes(alice_cert.der)).public_bytes(
        serialization.Encoding.PEM
    )
    response = client.post(
        "/check/", {"certificate": _upload(pem, "me.pem")}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["verdict"].status == "valid"
    assert 'data-status="valid"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_pkcs12_opens_with_its_pin_and_refuses_a_wrong_one(alice, client):
    certificate = give_certificate(alice, collect=False)
    pin = reveal_pin(certificate.pickup, actor="user:alice")
    data = collect_pickup(certificate.pickup, actor="user:alice")
    good = client.post("/check/", {"certificate": _upload(data, "me.p12"), "pin": pin})
    assert good.context["verdict"].status == "valid"
    bad = client.post("/check/", {"certificate": _upload(data, "me.p12"), "pin": "wrong"})
    assert bad.context["verdict"] is None
    assert bad.context["form"].errors["pin"]


def test_a_file_that_is_no_certificate_is_explained(ca_hierarchy, client):
    response = client.post("/check/", {"certificate": _upload(b"hello", "x.txt")})
    assert response.context["verdict"] is None
    assert response.context["form"].errors["certificate"]
