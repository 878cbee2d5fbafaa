import base64

import pytest

from jitsuin.authorities.revocations import revoke_authority
from tests.revocation.factories import issue, make_hierarchy, revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def pki(db):
    return make_hierarchy()


def _post(client, **body):
    return client.post("/api/v1/check", data=body, content_type="application/json")


def test_check_a_pem_certificate(client, pki):
    issued = issue(pki.current)
    answer = _post(client, certificate=issued.pem.decode(), lang="en")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "valid" and body["ok"] is True
    assert body["serial_decimal"] == str(issued.certificate.serial_number)


def test_check_a_revoked_der_certificate_in_japanese(client, pki):
    issued = issue(pki.current)
    revoke(issued, reason="superseded")
    answer = _post(client, certificate=base64.b64encode(issued.der).decode(), lang="ja")
    body = answer.json()
    assert body["status"] == "revoked" and body["reason"] == "superseded"
    assert "失効しました" in body["message"]


def test_check_a_pkcs12_with_its_pin(client, pki):
    issued = issue(pki.old)
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    data = base64.b64encode(issued.pkcs12("abcd-efgh-ijkl")).decode()
    assert (
        _post(client, certificate=data, pin="abcd-efgh-ijkl").json()["status"] == "issuer_revoked"
    )
    wrong = _post(client, certificate=data, pin="nope", lang="en")
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_pin"


def test_garbage_is_a_422_with_a_translated_message(client, pki):
    answer = client.post(
        "/api/v1/check",
        data={"certificate": "@@@"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "not_a_certificate"
    assert "証明書ではありません" in answer.json()["message"]


def test_the_openapi_schema_lists_check(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/check" in schema["paths"]


def test_a_scheduled_intermediate_revocation_says_switch_now_in_both_languages(client, pki):
    from datetime import timedelta

    from django.utils import timezone

    issued = issue(pki.old)
    at = timezone.now() + timedelta(hours=3)
    revoke_authority(pki.old.name, reason="superseded", at=at, actor="test")
    ja = _post(client, certificate=issued.pem.decode(), lang="ja").json()
    en = _post(client, certificate=issued.pem.decode(), lang="en").json()
    assert ja["status"] == en["status"] == "switch_now"
    assert ja["ok"] is True and ja["action_needed"] is True
    assert "今すぐ切り替えてください" in ja["message"] and "対応は不要" not in ja["advice"]
    assert "switch now" in en["message"] and en["stops_working_at"] is not None
    fresh = _post(client, certificate=issue(pki.current).pem.decode(), lang="en").json()
    assert fresh["status"] == "valid" and fresh["action_needed"] is False
    assert fresh["stops_working_at"] is None
