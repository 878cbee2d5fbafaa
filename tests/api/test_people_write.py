"""POST/PATCH /api/v1/people and deactivate/reactivate: the CLI's services, audited as the token."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Leaver, Person, Request
from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db

HANAKO = {
    "uid": "s2410001",
    "email": "s2410001@example.ac.jp",
    "name_ja": "山田 花子",
    "name_en": "Hanako Yamada",
    "name_kana": "やまだ はなこ",
    "affiliation": "Faculty of Science",
    "language": "en",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def grace_days(monkeypatch):
    def set_days(days: int) -> None:
        monkeypatch.setenv("JITSUIN_LEAVER_GRACE_DAYS", str(days))
        config.current.cache_clear()

    yield set_days
    config.current.cache_clear()


def _post(client, url, headers, body=None, **extra):
    data = {} if body is None else body
    return client.post(url, data=data, content_type="application/json", **headers, **extra)


def _patch(client, url, headers, body):
    return client.patch(url, data=body, content_type="application/json", **headers)


def test_a_person_is_created_once_and_audited_as_the_token(client):
    headers = bearer("people:write", name="idm")
    answer = _post(client, "/api/v1/people", headers, HANAKO)
    assert answer.status_code == 201
    body = answer.json()
    assert body["uid"] == "s2410001" and body["language"] == "en" and body["active"] is True
    assert Person.objects.get().name_kana == "ヤマダ ハナコ"
    assert AuditEvent.objects.filter(action="person.added", actor="token:idm").exists()
    again = _post(client, "/api/v1/people", headers, HANAKO, HTTP_ACCEPT_LANGUAGE="ja")
    assert again.status_code == 409 and again.json()["code"] == "already_exists"
    assert "すでに" in again.json()["message"]
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-address"},
        {"uid": ""},
        {"uid": "has space"},
        {"uid": "a/b"},
        {"uid": "x" * 151},
        {"name_en": "x" * 201},
        {"name_ja": "山田\x00花子"},
        {"language": "fr"},
        {"admin": True},
    ],
)
def test_a_bad_person_is_a_typed_422_and_nothing_is_stored(client, change):
    answer = _post(client, "/api/v1/people", bearer("people:write"), {**HANAKO, **change})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert not Person.objects.exists()


def test_a_reader_cannot_create(client):
    answer = _post(client, "/api/v1/people", bearer("people:read"), HANAKO)
    assert answer.status_code == 403 and not Person.objects.exists()


def test_an_update_changes_only_what_is_given_and_is_audited(client):
    factories.person("s2410001", affiliation="Faculty of Science")
    headers = bearer("people:write", name="idm")
    url = "/api/v1/people/s2410001"
    answer = _patch(client, url, headers, {"email": "hanako@example.ac.jp", "language": "en"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["email"] == "hanako@example.ac.jp" and body["language"] == "en"
    assert body["affiliation"] == "Faculty of Science"
    event = AuditEvent.objects.get(action="person.updated")
    assert event.actor == "token:idm" and set(event.data) == {"email", "language"}
    assert _patch(client, url, headers, {"email": "hanako@example.ac.jp"}).status_code == 200
    assert AuditEvent.objects.filter(action="person.updated").count() == 1


def test_updating_an_unknown_uid_is_404_and_a_bad_field_422(client):
    headers = bearer("people:write")
    missing = _patch(client, "/api/v1/people/nobody", headers, {"name_en": "X"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    factories.person("s2410001")
    for body in ({"email": "nope"}, {"uid": "s2"}, {"name_en": "a\x00"}, {"language": "de"}):
        answer = _patch(client, "/api/v1/people/s2410001", headers, body)
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", body


def test_deactivation_starts_the_grace_and_reactivation_within_it_cancels(client, grace_days):
    grace_days(30)
    factories.person("s2410001")
    headers = bearer("people:write", name="idm")
    url = "/api/v1/people/s2410001"
    gone = _post(client, f"{url}/deactivate", headers, {"reason": "left"})
    assert gone.status_code == 200
    body = gone.json()
    assert body["active"] is False and body["leaver_state"] == "pending"
    assert body["grace_ends_at"] > timezone.now().isoformat()
    again = _post(client, f"{url}/deactivate", headers, {"reason": "left"})
    assert again.json() == body and Leaver.objects.count() == 1
    back = _post(client, f"{url}/reactivate", headers)
    assert back.status_code == 200
    assert back.json()["active"] is True and back.json()["leaver_state"] == "cancelled"
    actions = set(AuditEvent.objects.filter(actor="token:idm").values_list("action", flat=True))
    assert {"person.deactivated", "leaver.cancelled", "person.reactivated"} <= actions


def test_deactivation_without_grace_revokes_and_needs_no_body(client, ca_hierarchy, grace_days):
    grace_days(0)
    holder = factories.person("s2410001")
    certificate = factories.certificate(holder, at=timezone.now())
    url = "/api/v1/people/s2410001/deactivate"
    answer = client.generic("POST", url, **bearer("people:write", name="idm"))
    assert answer.status_code == 200 and answer.json()["leaver_state"] == "done"
    assert Leaver.objects.get().deactivated_by == "token:idm"
    revoke = Request.objects.get(kind="revoke")
    assert revoke.target == certificate and revoke.reason == "cessationOfOperation"


def test_deactivating_an_unknown_uid_is_404(client):
    headers = bearer("people:write")
    for action in ("deactivate", "reactivate"):
        answer = _post(client, f"/api/v1/people/nobody/{action}", headers)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_a_form_body_is_a_typed_415_not_a_500(client):
    """Django's test client, like a browser form, posts multipart when told nothing."""
    factories.person("s2410001")
    headers = bearer("people:write")
    for url in ("/api/v1/people/s2410001/deactivate", "/api/v1/people", "/api/v1/check"):
        answer = client.post(url, {"reason": "left"}, **headers)
        assert answer.status_code == 415 and answer.json()["code"] == "unsupported_media_type"
    assert Person.objects.get().active
