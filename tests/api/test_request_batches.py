"""POST /api/v1/requests/batch: many issue requests at once, one answer per item."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache

from jitsuin.api.bodies import MAX_ISSUE_BATCH
from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Request
from tests.api.tokens import bearer
from tests.notify import factories
from tests.pki.factories import csr_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/batch"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def people(ca_hierarchy):
    factories.profile()
    return [factories.person(f"s24100{i:02d}") for i in range(4)]


def _batch(client, headers, items, lang="en"):
    return client.post(
        URL,
        data={"items": items},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
        **headers,
    )


def _csr_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return csr_for(key).public_bytes(serialization.Encoding.PEM).decode()


def test_each_item_gets_its_request_in_order_audited_as_the_token(client, people):
    headers = bearer("requests:write", name="idm")
    items = [{"uid": p.uid, "idempotency_key": f"new-{p.uid}"} for p in people[:3]]
    items[1]["csr"] = _csr_pem()
    answer = _batch(client, headers, items)
    assert answer.status_code == 200
    got = answer.json()["items"]
    assert [g["status"] for g in got] == [202, 202, 202]
    assert [g["request"]["uid"] for g in got] == [p.uid for p in people[:3]]
    assert [g["request"]["with_csr"] for g in got] == [False, True, False]
    assert [g["idempotency_key"] for g in got] == [i["idempotency_key"] for i in items]
    assert set(Request.objects.values_list("requested_by", flat=True)) == {"token:idm"}
    assert AuditEvent.objects.filter(actor="token:idm", action="request.issue.created").count() == 3


def test_refusals_are_per_item_and_the_others_are_made(client, people):
    headers = bearer("requests:write", name="idm")
    carol = people[3]
    carol.active = False
    carol.save()
    items = [
        {"uid": "nobody", "idempotency_key": "a"},
        {"uid": people[0].uid, "idempotency_key": "b", "profile": "no-such-profile"},
        {
            "uid": people[0].uid,
            "idempotency_key": "c",
            "csr": "-----BEGIN CERTIFICATE REQUEST-----",
        },
        {"uid": carol.uid, "idempotency_key": "d"},
        {"uid": people[1].uid, "idempotency_key": "e"},
    ]
    got = _batch(client, headers, items).json()["items"]
    assert [g["status"] for g in got] == [404, 404, 422, 409, 202]
    assert [g["error"]["code"] if g["error"] else None for g in got] == [
        "not_found",
        "not_found",
        "invalid_csr",
        "inactive",
        None,
    ]
    assert got[3]["error"]["message"] == "This account is not active."
    assert Request.objects.get().person == people[1]


def test_the_same_batch_again_answers_the_same_requests(client, people):
    headers = bearer("requests:write", name="idm")
    items = [{"uid": p.uid, "idempotency_key": f"k-{p.uid}"} for p in people]
    first = _batch(client, headers, items).json()["items"]
    again = _batch(client, headers, items).json()["items"]
    assert [g["request"]["id"] for g in again] == [g["request"]["id"] for g in first]
    assert Request.objects.count() == len(people)
    # Another token's keys are its own; the people's open requests answer them.
    other = _batch(client, bearer("requests:write", name="hr"), items).json()["items"]
    assert [g["request"]["id"] for g in other] == [g["request"]["id"] for g in first]
    assert Request.objects.count() == len(people)


def test_the_batch_is_capped_and_must_not_be_empty(client, people):
    headers = bearer("requests:write", name="idm")
    items = [{"uid": people[0].uid, "idempotency_key": f"k{i}"} for i in range(MAX_ISSUE_BATCH + 1)]
    too_many = _batch(client, headers, items)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "invalid_request"
    assert _batch(client, headers, []).status_code == 422
    assert Request.objects.count() == 0


def test_it_needs_the_requests_write_scope(client, people):
    items = [{"uid": people[0].uid, "idempotency_key": "k"}]
    assert _batch(client, {}, items).status_code == 401
    assert _batch(client, bearer("certificates:read", name="ro"), items).status_code == 403
    assert Request.objects.count() == 0
