import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin.access.models import ApiToken
from jitsuin.audit.models import AuditEvent
from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_people_come_in_pages_linked_by_next(client):
    uids = [factories.person(f"s24{n:05d}").uid for n in range(5)]
    headers = bearer("people:read")
    seen, url = [], "/api/v1/people?limit=2"
    while url:
        answer = client.get(url, **headers)
        assert answer.status_code == 200
        body = answer.json()
        assert len(body["items"]) <= 2
        seen += [p["uid"] for p in body["items"]]
        url = body["next"]
    assert seen == uids


def test_one_person_by_uid_and_a_missing_one_is_a_typed_404(client):
    factories.person("s2410001", name_en="Hanako Yamada")
    headers = bearer("people:read")
    body = client.get("/api/v1/people/s2410001", **headers).json()
    assert body["uid"] == "s2410001" and body["name_en"] == "Hanako Yamada"
    missing = client.get("/api/v1/people/nobody", HTTP_ACCEPT_LANGUAGE="ja", **headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert "uid" in missing.json()["message"] and "登録されていません" in missing.json()["message"]


def test_the_active_filter_is_carried_into_the_next_link(client):
    for n in range(3):
        factories.person(f"s2420{n:03d}", active=False)
    factories.person("s2429999")
    body = client.get("/api/v1/people?active=false&limit=2", **bearer("people:read")).json()
    assert [p["active"] for p in body["items"]] == [False, False]
    assert "active=False" in body["next"] or "active=false" in body["next"].lower()


def test_a_forged_cursor_is_a_typed_422(client):
    answer = client.get("/api/v1/people?cursor=eyJrIjoicGVvcGxlIn0", **bearer("people:read"))
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_cursor"


def test_a_limit_over_200_is_a_typed_422(client):
    answer = client.get("/api/v1/people?limit=201", **bearer("people:read"))
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


def test_reads_are_not_audited_but_mark_the_token_used(client):
    headers = bearer("people:read")
    before = AuditEvent.objects.count()
    client.get("/api/v1/people", **headers)
    assert AuditEvent.objects.count() == before
    used = ApiToken.objects.get().last_used_at
    assert used is not None and timezone.now() - used < timezone.timedelta(minutes=1)
