"""GET /api/v1/campaigns, /campaigns/{id} and /campaigns/{id}/stragglers: the console's figures."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin.campaigns import queries, services
from jitsuin.lifecycle.models import Person, Request
from tests.api.tokens import bearer
from tests.campaigns import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def scene(db):
    return f.scene()


@pytest.fixture
def live(scene):
    """Started, six members: one migrated, one stuck (a failed request), four not started."""
    campaign = f.campaign_starting_now(scene, 6, name="live", real=1)
    services.start(campaign, actor="test")
    campaign.refresh_from_db()
    people = list(Person.objects.order_by("uid"))
    f.real_certificate(people[0], scene.new, scene.profiles["overlap"], at=timezone.now())
    now = timezone.now()
    Request.objects.create(
        kind="issue",
        person=people[1],
        profile=scene.profiles["overlap"],
        state="failed",
        state_changed_at=now,
        created_at=now,
        requested_by="user:x",
        idempotency_key="stuck-1",
    )
    return campaign


def test_the_list_shows_state_and_the_console_figures(client, live, scene):
    draft = services.create_campaign(
        "later",
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=timezone.now() + timezone.timedelta(days=1),
        deadline=timezone.now() + timezone.timedelta(days=90),
        actor="test",
    )
    answer = client.get("/api/v1/campaigns", **bearer("campaigns:read"))
    assert answer.status_code == 200
    items = {c["name"]: c for c in answer.json()["items"]}
    assert items["later"]["state"] == "draft" and items["later"]["progress"] is None
    shown = items["live"]
    assert shown["state"] == "started" and shown["new_authority"] == scene.new.name
    assert shown["old_authorities"] == [scene.old.name]
    expected = queries.progress(live, now=timezone.now())
    progress = shown["progress"]
    assert (progress["total"], progress["migrated"], progress["stuck"]) == (6, 1, 1)
    assert progress["not_started"] == expected.not_started == 4
    assert progress["percent_migrated"] == round(100 / 6, 1)
    assert draft.pk in [c["id"] for c in answer.json()["items"]]


def test_one_campaign_by_id_and_a_missing_one_is_a_typed_404(client, live):
    headers = bearer("campaigns:read")
    body = client.get(f"/api/v1/campaigns/{live.pk}", **headers).json()
    assert body["id"] == live.pk and body["progress"]["total"] == 6
    for missing in (live.pk + 100, 0):
        answer = client.get(f"/api/v1/campaigns/{missing}", HTTP_ACCEPT_LANGUAGE="ja", **headers)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
        assert "キャンペーン" in answer.json()["message"]
    assert client.get("/api/v1/campaigns/g1", **headers).status_code == 422


def test_stragglers_come_in_pages_with_their_category(client, live):
    headers = bearer("campaigns:read")
    seen, url = [], f"/api/v1/campaigns/{live.pk}/stragglers?limit=2"
    while url:
        body = client.get(url, **headers).json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        url = body["next"]
    people = list(Person.objects.order_by("uid"))
    assert sorted(s["uid"] for s in seen) == [p.uid for p in people[1:]]
    assert len({s["uid"] for s in seen}) == len(seen) == 5
    categories = {s["uid"]: s["category"] for s in seen}
    assert categories[people[1].uid] == "stuck"
    assert {categories[p.uid] for p in people[2:]} == {"not_started"}
    assert all(s["old_certificate_serial"] for s in seen)
    stuck = client.get(f"/api/v1/campaigns/{live.pk}/stragglers?category=stuck", **headers).json()
    assert [s["uid"] for s in stuck["items"]] == [people[1].uid]


def test_a_cursor_of_another_campaign_or_a_bad_category_is_a_typed_422(client, live, scene):
    other = services.create_campaign(
        "other",
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=timezone.now() + timezone.timedelta(days=1),
        deadline=timezone.now() + timezone.timedelta(days=90),
        actor="test",
    )
    headers = bearer("campaigns:read")
    page = client.get(f"/api/v1/campaigns/{live.pk}/stragglers?limit=1", **headers).json()
    cursor = page["next"].split("cursor=")[1]
    answer = client.get(f"/api/v1/campaigns/{other.pk}/stragglers?cursor={cursor}", **headers)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_cursor"
    bad = client.get(f"/api/v1/campaigns/{live.pk}/stragglers?category=migrated", **headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"


def test_campaigns_need_their_scope(client, live):
    answer = client.get("/api/v1/campaigns", **bearer("certificates:read"))
    assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"
