"""NUL in a path, a query or a form field is a 400 on every database, never a 500.

CI on PostgreSQL found it: ``GET /api/v1/people/%00`` reached a query PostgreSQL refuses
("text fields cannot contain NUL") while SQLite answered 404.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jitsuin.access.tokens import create_token
from jitsuin.authorities.services import certificate_of

pytestmark = pytest.mark.django_db


def test_an_api_lookup_by_a_nul_uid_is_a_bilingual_400(profile):  # type: ignore[no-untyped-def]
    raw, _ = create_token("nul", ["people:read"], actor="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    ja = client.get("/api/v1/people/a%00b", HTTP_ACCEPT_LANGUAGE="ja")
    en = client.get("/api/v1/people/a%00b", HTTP_ACCEPT_LANGUAGE="en")
    assert ja.status_code == en.status_code == 400
    assert ja.json()["code"] == en.json()["code"] == "nul_character"
    assert "NUL" in en.json()["message"] and ja.json()["message"] != en.json()["message"]


def test_a_nul_in_a_query_parameter_is_refused(alice, client_for):  # type: ignore[no-untyped-def]
    answer = client_for(alice).get("/", {"history": "1\x00"})
    assert answer.status_code == 400
    assert "NUL" in answer.content.decode()


def test_a_nul_in_a_form_field_is_refused_before_the_view(alice, client_for):  # type: ignore[no-untyped-def]
    answer = client_for(alice).post("/issue/", {"idempotency": "x\x00y"})
    assert answer.status_code == 400


def test_a_binary_upload_full_of_nul_bytes_still_reaches_the_check(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    """Files are binary: a DER certificate is full of zero bytes and must be checked."""
    der = certificate_of(ca_hierarchy.intermediate).public_bytes(Encoding.DER)
    assert b"\x00" in der
    upload = SimpleUploadedFile("ca.der", der)
    answer = client.post("/check/", {"certificate": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
