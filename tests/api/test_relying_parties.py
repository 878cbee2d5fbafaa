"""POST /api/v1/relying-parties/report: the agent's report is kept, the answer says whether
jitsuin thinks the host is current; bad bodies are a 422, other scopes a 403, too many hosts
per token a 409."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from jitsuin.authorities.models import RelyingParty
from jitsuin.authorities.publishing import relying_parties as parties
from tests.api.tokens import bearer
from tests.authorities.publishing.test_relying_parties import (  # noqa: F401 (a fixture)
    _crls_published,
    newest,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def body(name="radius1.example.ac.jp", crls=None, **extra):
    crls = newest() if crls is None else crls
    return {
        "name": name,
        "ok": True,
        "software": "jitsuin 0.1.0",
        "crls": [
            {
                "issuer": c.issuer,
                "authority_key_id": c.authority_key_id,
                "number": str(c.number),
                "this_update": c.this_update.isoformat(),
                "next_update": c.next_update.isoformat(),
            }
            for c in crls
        ],
        **extra,
    }


def post(client, headers, payload):
    return client.post(
        "/api/v1/relying-parties/report",
        data=json.dumps(payload),
        content_type="application/json",
        **headers,
    )


def test_a_report_is_kept_and_answered_with_the_host_s_state(client, ca_hierarchy):
    headers = bearer("relying-party", name="radius")
    answer = post(client, headers, body())
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert (result["name"], result["status"], result["problems"]) == (
        "radius1.example.ac.jp",
        "current",
        [],
    )
    assert {c["authority"] for c in result["crls"]} == {
        ca_hierarchy.root.name,
        ca_hierarchy.intermediate.name,
    }
    assert all(c["loaded"] == c["published"] and not c["behind"] for c in result["crls"])
    party = RelyingParty.objects.get()
    assert (party.token_name, party.software, len(party.loaded)) == ("radius", "jitsuin 0.1.0", 2)


def test_a_failed_pass_keeps_the_last_success(client, ca_hierarchy):
    headers = bearer("relying-party", name="radius")
    post(client, headers, body())
    answer = post(client, headers, body(ok=False, error="kept the last good set: HTTP 503"))
    assert answer.status_code == 200
    party = RelyingParty.objects.get()
    assert party.last_error == "kept the last good set: HTTP 503"
    assert party.last_success_at is not None and party.last_success_at < party.last_report_at


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"name": "radius 1"},
        {"name": "x" * 254},
        {"name": "radius\x001"},
        {"error": "e" * 1001},
        {"unexpected": 1},
        {"crls": [{"issuer": "CN=x", "number": "-1", "this_update": "2026-12-01T00:00:00Z"}]},
        {"crls": [{"issuer": "CN=x", "number": "1" * 51, "this_update": "2026-12-01T00:00Z"}]},
        {"crls": [{"issuer": "CN=x", "number": "1", "this_update": "yesterday"}]},
        {
            "crls": [
                {
                    "issuer": "CN=x",
                    "authority_key_id": "zz",
                    "number": "1",
                    "this_update": "2026-12-01T00:00:00Z",
                }
            ]
        },
    ],
)
def test_bad_reports_are_a_422_and_keep_nothing(client, ca_hierarchy, change):
    answer = post(client, bearer("relying-party"), {**body(), **change})
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"] == "invalid_request"
    assert not RelyingParty.objects.exists()


def test_more_crls_than_a_host_can_hold_are_refused(client, ca_hierarchy):
    many = [newest()[0]] * (parties.MAX_CRLS + 1)
    answer = post(client, bearer("relying-party"), body(crls=many))
    assert answer.status_code == 422


def test_a_token_for_too_many_hosts_gets_a_409(client, ca_hierarchy, monkeypatch):
    monkeypatch.setattr(parties, "MAX_PER_TOKEN", 1)
    headers = bearer("relying-party", name="radius")
    assert post(client, headers, body("a")).status_code == 200
    answer = post(client, headers, body("b"))
    assert answer.status_code == 409 and answer.json()["code"] == "too_many_relying_parties"


def test_another_scope_is_a_403(client, ca_hierarchy):
    answer = post(client, bearer("sightings:write"), body())
    assert answer.status_code == 403
