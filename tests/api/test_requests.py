"""POST /api/v1/requests (issue or revoke, idempotent by key) and reading requests back."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Certificate, Request
from tests.api.tokens import bearer
from tests.notify import factories
from tests.pki.factories import csr_for, weak_rsa_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def hanako(ca_hierarchy):
    factories.profile()
    return factories.person("s2410001")


def _ask(client, headers, lang="en", **body):
    return client.post(
        "/api/v1/requests",
        data=body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
        **headers,
    )


def _csr_pem(key=None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    return csr_for(key).public_bytes(serialization.Encoding.PEM).decode()


def test_an_issue_request_is_made_once_per_key_and_audited_as_the_token(client, hanako):
    headers = bearer("requests:write", name="idm")
    first = _ask(client, headers, kind="issue", uid="s2410001", idempotency_key="new-s2410001")
    again = _ask(client, headers, kind="issue", uid="s2410001", idempotency_key="new-s2410001")
    assert first.status_code == again.status_code == 202
    body = first.json()
    assert again.json()["id"] == body["id"] and Request.objects.count() == 1
    assert body["kind"] == "issue" and body["uid"] == "s2410001" and body["profile"] == "client"
    assert body["with_csr"] is False and body["pickup_id"] is None
    request = Request.objects.get()
    assert request.requested_by == "token:idm"
    assert AuditEvent.objects.filter(actor="token:idm", action__startswith="request").exists()


def test_a_retry_after_issuance_gives_the_same_request_and_never_a_second_certificate(
    client, hanako
):
    headers = bearer("requests:write", "certificates:read", name="idm")
    body = {"kind": "issue", "uid": "s2410001", "idempotency_key": "k-1"}
    made = _ask(client, headers, **body).json()
    factories.run(Request.objects.get(pk=made["id"]))
    again = _ask(client, headers, **body)
    assert again.status_code == 202 and again.json()["id"] == made["id"]
    assert Certificate.objects.count() == 1
    shown = client.get(f"/api/v1/requests/{made['id']}", **headers).json()
    assert shown["state"] == "ready" and shown["pickup_id"] is not None
    assert shown["certificate_serial"] == Certificate.objects.get().serial
    text = client.get(f"/api/v1/requests/{made['id']}", **headers).content.decode().lower()
    assert "pin" not in text and "pkcs12" not in text and "private" not in text


def test_the_same_key_of_another_token_is_another_request(client, hanako, ca_hierarchy):
    other = factories.person("s2410002")
    body = {"kind": "issue", "idempotency_key": "same"}
    one = _ask(client, bearer("requests:write", name="a"), uid=hanako.uid, **body).json()
    two = _ask(client, bearer("requests:write", name="b"), uid=other.uid, **body).json()
    assert one["id"] != two["id"]


def test_an_issue_from_a_csr_keeps_the_csr_key(client, hanako):
    key = ec.generate_private_key(ec.SECP256R1())
    headers = bearer("requests:write")
    answer = _ask(
        client, headers, kind="issue", uid="s2410001", csr=_csr_pem(key), idempotency_key="c1"
    )
    assert answer.status_code == 202 and answer.json()["with_csr"] is True
    done = factories.run(Request.objects.get())
    issued = done.certificate
    assert issued is not None and not hasattr(done, "pickup")


@pytest.mark.parametrize(
    ("csr", "code"),
    [
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", None),
        ("not a csr at all", None),
        (None, "weak"),
    ],
)
def test_an_unusable_csr_is_a_typed_422_and_nothing_is_queued(client, hanako, csr, code):
    pem = csr if code is None else _csr_pem(weak_rsa_key())
    answer = _ask(
        client,
        bearer("requests:write"),
        kind="issue",
        uid="s2410001",
        csr=pem,
        idempotency_key="bad-csr",
        lang="ja",
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_csr"
    assert "署名要求" in answer.json()["message"] or "CSR" in answer.json()["message"]
    assert not Request.objects.exists()


def test_unknown_uid_profile_or_serial_is_a_typed_404(client, hanako):
    headers = bearer("requests:write")
    for body in (
        {"kind": "issue", "uid": "nobody"},
        {"kind": "issue", "uid": "s2410001", "profile": "no-such-profile"},
        {"kind": "revoke", "serial": "abcdef"},
    ):
        answer = _ask(client, headers, idempotency_key="k", **body)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", body
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "issue"},
        {"kind": "revoke", "uid": "s2410001"},
        {"kind": "issue", "uid": "s2410001", "serial": "ab"},
        {"kind": "renew", "uid": "s2410001"},
        {"kind": "issue", "uid": "s2410001", "extra": 1},
        {"kind": "issue", "uid": "s24\x0010001"},
        {"kind": "issue", "uid": "s2410001", "csr": "A" * 20_001},
        {"kind": "issue", "uid": "x" * 151},
    ],
)
def test_a_malformed_request_is_a_typed_422(client, hanako, body):
    answer = _ask(client, bearer("requests:write"), idempotency_key="k", **body)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert not Request.objects.exists()


def test_a_missing_or_bad_key_is_a_typed_422(client, hanako):
    headers = bearer("requests:write")
    for key in (None, "", "a b", "x" * 65):
        body = {"kind": "issue", "uid": "s2410001"}
        if key is not None:
            body["idempotency_key"] = key
        answer = _ask(client, headers, **body)
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


def test_a_revoke_request_and_a_key_reused_for_another_kind(client, hanako):
    certificate = factories.certificate(hanako, at=timezone.now())
    headers = bearer("requests:write", name="idm")
    body = {"kind": "revoke", "serial": certificate.serial, "reason": "keyCompromise"}
    first = _ask(client, headers, idempotency_key="r1", **body)
    again = _ask(client, headers, idempotency_key="r1", **body)
    assert first.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert first.json()["certificate_serial"] == certificate.serial
    assert first.json()["reason"] == "keyCompromise"
    reused = _ask(client, headers, kind="issue", uid="s2410001", idempotency_key="r1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert Request.objects.count() == 1


def test_a_key_of_another_person_is_refused(client, hanako, ca_hierarchy):
    factories.person("s2410002")
    headers = bearer("requests:write")
    _ask(client, headers, kind="issue", uid="s2410001", idempotency_key="k")
    answer = _ask(client, headers, kind="issue", uid="s2410002", idempotency_key="k")
    assert answer.status_code == 409 and answer.json()["code"] == "idempotency_key_reused"


def test_a_long_token_name_and_key_fit_the_stored_key(client, hanako):
    headers = bearer("requests:write", name="n" * 64)
    body = {"kind": "issue", "uid": "s2410001", "idempotency_key": "k" * 64}
    first, again = _ask(client, headers, **body), _ask(client, headers, **body)
    assert first.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert len(Request.objects.get().idempotency_key) <= 100


def test_an_inactive_person_is_refused_by_the_policy(client, hanako):
    hanako.active = False
    hanako.save()
    answer = _ask(
        client, bearer("requests:write"), kind="issue", uid="s2410001", idempotency_key="k"
    )
    assert answer.status_code == 409 and answer.json()["code"] == "inactive"


def test_requests_are_listed_by_cursor_with_filters(client, hanako, ca_hierarchy):
    now = timezone.now()
    for n in range(3):
        factories.request(factories.person(f"s24200{n:02d}"), at=now)
    factories.request(hanako, at=now, state="failed")
    headers = bearer("certificates:read")
    first = client.get("/api/v1/requests?limit=2", **headers).json()
    second = client.get(first["next"], **headers).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2 and second["next"] is None
    mine = client.get("/api/v1/requests?uid=s2410001&state=failed", **headers).json()
    assert [r["uid"] for r in mine["items"]] == ["s2410001"]
    assert client.get("/api/v1/requests?kind=revoke", **headers).json()["items"] == []
    bad = client.get("/api/v1/requests?state=happy", **headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"


@pytest.mark.parametrize("request_id", ["999999", "0", "99999999999999999999999"])
def test_a_missing_request_is_a_typed_404_or_422(client, db, request_id):
    answer = client.get(f"/api/v1/requests/{request_id}", **bearer("certificates:read"))
    assert answer.status_code in (404, 422)
    assert answer.json()["code"] in ("not_found", "invalid_request")


def test_a_writer_cannot_read_and_a_reader_cannot_write(client, hanako):
    reader, writer = bearer("certificates:read", name="r"), bearer("requests:write", name="w")
    answer = _ask(client, reader, kind="issue", uid="s2410001", idempotency_key="k")
    assert answer.status_code == 403 and not Request.objects.exists()
    assert client.get("/api/v1/requests", **writer).status_code == 403
