"""The bearer-token checks, on a probe endpoint mounted on a throwaway API."""

import pytest
from django.core.cache import cache
from django.utils import translation
from ninja import NinjaAPI
from ninja.testing import TestClient

from jitsuin import config
from jitsuin.access.tokens import create_token, revoke_token
from jitsuin.api import errors
from jitsuin.api.auth import BearerToken, token_actor

pytestmark = pytest.mark.django_db

probe = NinjaAPI(urls_namespace="probe-api")
errors.install(probe)


@probe.get("/probe", auth=BearerToken("people:read"))
def _probe(request):
    return {"actor": str(token_actor(request))}


def call(token: str | None = None, lang: str = "en"):
    headers = {"Accept-Language": lang}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return TestClient(probe).get("/probe", headers=headers)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_token_with_the_scope_is_let_in_as_its_actor():
    raw, _ = create_token("idm", ["people:read"], actor="cli")
    answer = call(raw)
    assert answer.status_code == 200 and b'"token:idm"' in answer.content


@pytest.mark.parametrize("header", [None, "jt_nothing", "garbage"])
def test_no_or_a_wrong_token_is_401_with_a_typed_error(header):
    import json

    answer = call(header)
    assert answer.status_code == 401
    assert json.loads(answer.content)["code"] == "unauthenticated"
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401_and_the_message_follows_the_language():
    import json

    raw, _ = create_token("idm", ["people:read"], actor="cli")
    revoke_token("idm", actor="cli")
    with translation.override("ja"):  # the site's LocaleMiddleware does this from the header
        answer = call(raw, lang="ja")
    body = json.loads(answer.content)
    assert answer.status_code == 401 and body["code"] == "unauthenticated"
    assert "トークン" in body["message"]


def test_a_token_without_the_scope_is_403():
    import json

    raw, _ = create_token("radius", ["sightings:write"], actor="cli")
    answer = call(raw)
    assert answer.status_code == 403
    assert json.loads(answer.content)["code"] == "insufficient_scope"


def test_the_rate_is_per_token_with_retry_after(monkeypatch):
    import json

    monkeypatch.setenv("JITSUIN_API_RATE", "3")
    config.current.cache_clear()
    flood, _ = create_token("flood", ["people:read"], actor="cli")
    calm, _ = create_token("calm", ["people:read"], actor="cli")
    assert [call(flood).status_code for _ in range(3)] == [200, 200, 200]
    refused = call(flood)
    assert refused.status_code == 429 and json.loads(refused.content)["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert call(calm).status_code == 200  # the other traffic goes on
    config.current.cache_clear()


def test_the_rate_setting_is_checked_at_start_up():
    with pytest.raises(config.ConfigError, match="JITSUIN_API_RATE"):
        config.JitsuinConfig.from_env({"JITSUIN_API_RATE": "lots"})
    with pytest.raises(config.ConfigError, match="JITSUIN_API_RATE"):
        config.JitsuinConfig.from_env({"JITSUIN_API_RATE": "0"})
    assert config.JitsuinConfig.from_env({"JITSUIN_API_RATE": "1200"}).api_rate == 1200
