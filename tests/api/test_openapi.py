"""The OpenAPI document describes every token endpoint fully: summary, bearer security, a
schema for each answer, an example for each field of what it returns."""

from __future__ import annotations

import importlib

import pytest

from tests.api.test_scopes import PUBLIC, SCOPE_OF
from tests.peers import peers_required

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def _fields(document: dict, ref: str) -> dict:
    name = ref.rsplit("/", 1)[1]
    return document["components"]["schemas"][name]["properties"]


def test_every_token_endpoint_is_described_with_examples(document):
    for (method, path), scope in SCOPE_OF.items():
        if scope is PUBLIC:
            continue
        operation = document["paths"]["/api/v1" + path][method.lower()]
        assert operation["summary"], path
        assert operation["security"] == [{"BearerToken": []}], path
        answers = set(operation["responses"])
        assert {"401", "403", "429"} <= answers and answers & {"200", "201", "202"}, path
        for status, answer in operation["responses"].items():
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            for field, spec in _fields(document, ref).items():
                if field == "items":  # a page: each field of its items has an example
                    inner = _fields(document, spec["items"]["$ref"])
                    assert all("examples" in s for s in inner.values()), (path, inner)
                    continue
                assert "examples" in spec, (path, status, field)


def test_the_bearer_scheme_is_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}


def test_the_document_validates_with_an_independent_validator(document):
    """openapi-spec-validator (the test extra): skipped on a laptop without it, a failure in
    CI (JITSUIN_REQUIRE_PEERS=1), like the peer programs."""
    try:
        validator = importlib.import_module("openapi_spec_validator")
    except ImportError:
        if peers_required():
            pytest.fail("openapi-spec-validator is not installed (JITSUIN_REQUIRE_PEERS=1)")
        pytest.skip("openapi-spec-validator is not installed")
    validator.validate(document)
