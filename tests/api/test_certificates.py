from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def certificates(ca_hierarchy):
    now = timezone.now()
    alice, bob = factories.person("s2410001"), factories.person("s2410002")
    valid = factories.certificate(alice, at=now)
    old = factories.certificate(alice, at=now - timedelta(days=400))
    revoked = factories.revoke(factories.certificate(bob, at=now), at=now)
    return {"valid": valid, "expired": old, "revoked": revoked}


@pytest.mark.parametrize("state", ["valid", "expired", "revoked"])
def test_the_state_filter(client, certificates, state):
    body = client.get(f"/api/v1/certificates?state={state}", **bearer("certificates:read")).json()
    assert [c["serial"] for c in body["items"]] == [certificates[state].serial]
    assert body["items"][0]["state"] == state and body["next"] is None


def test_the_uid_and_issuer_filters(client, certificates, ca_hierarchy):
    headers = bearer("certificates:read")
    mine = client.get("/api/v1/certificates?uid=s2410001", **headers).json()["items"]
    assert {c["uid"] for c in mine} == {"s2410001"} and len(mine) == 2
    name = ca_hierarchy.intermediate.name
    by_issuer = client.get("/api/v1/certificates", {"issuer": name}, **headers).json()["items"]
    assert len(by_issuer) == 3 and {c["issuer"] for c in by_issuer} == {name}
    assert client.get("/api/v1/certificates?issuer=nope", **headers).json()["items"] == []


def test_pages_follow_next_with_the_filters(client, certificates):
    headers = bearer("certificates:read")
    first = client.get("/api/v1/certificates?uid=s2410001&limit=1", **headers).json()
    assert len(first["items"]) == 1 and "uid=s2410001" in first["next"]
    second = client.get(first["next"], **headers).json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert first["items"][0]["serial"] != second["items"][0]["serial"]


def test_a_cursor_of_another_listing_is_refused(client, certificates):
    factories.person("s2419998"), factories.person("s2419999")
    headers = bearer("certificates:read", "people:read")
    people = client.get("/api/v1/people?limit=1", **headers).json()
    cursor = people["next"].split("cursor=")[1]
    answer = client.get(f"/api/v1/certificates?cursor={cursor}", **headers)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_cursor"


def test_one_certificate_by_serial_in_any_spelling(client, certificates):
    headers = bearer("certificates:read")
    certificate = certificates["revoked"]
    pairs = certificate.serial_number.hex_pairs
    body = client.get(f"/api/v1/certificates/{pairs.upper()}", **headers).json()
    assert body["serial"] == certificate.serial and body["state"] == "revoked"
    assert body["revocation_reason"] == "superseded"
    for missing in ("ff00ff00", "not-hex"):
        answer = client.get(f"/api/v1/certificates/{missing}", **headers)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
