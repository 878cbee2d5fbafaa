"""Every API operation × every token scope: the one scope it names lets a token in, every
other is a 403, no token a 401.

``SCOPE_OF`` is the specification. The operations come from the ninja routers themselves, so
a new endpoint fails this test until it has a row here (and an auth that names a scope).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin.access.tokens import SCOPES, create_token
from jitsuin.api.api import api
from jitsuin.api.auth import BearerToken
from jitsuin.campaigns.models import Campaign
from tests.notify import factories

pytestmark = pytest.mark.django_db

PUBLIC = None  # no token needed

# (method, path as registered) -> the scope a token needs.
SCOPE_OF: dict[tuple[str, str], str | None] = {
    ("POST", "/check"): PUBLIC,
    ("GET", "/people"): "people:read",
    ("GET", "/people/{uid}"): "people:read",
    ("GET", "/certificates"): "certificates:read",
    ("GET", "/certificates/{serial}"): "certificates:read",
    ("GET", "/pickups/{pickup_id}"): "certificates:read",
    ("POST", "/certificates/{serial}/revoke"): "certificates:revoke",
    ("POST", "/people"): "people:write",
    ("PATCH", "/people/{uid}"): "people:write",
    ("POST", "/people/{uid}/deactivate"): "people:write",
    ("POST", "/people/{uid}/reactivate"): "people:write",
    ("POST", "/requests"): "requests:write",
    ("POST", "/requests/batch"): "requests:write",
    ("GET", "/requests"): "certificates:read",
    ("GET", "/requests/{request_id}"): "certificates:read",
    ("GET", "/campaigns"): "campaigns:read",
    ("GET", "/campaigns/{campaign_id}"): "campaigns:read",
    ("GET", "/campaigns/{campaign_id}/stragglers"): "campaigns:read",
    ("POST", "/sightings"): "sightings:write",
    ("POST", "/relying-parties/report"): "relying-party",
}


def operations() -> dict[tuple[str, str], str | None]:
    """{(method, path): scope} of every operation registered on the API."""
    found: dict[tuple[str, str], str | None] = {}
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                scopes = [a.scope for a in operation.auth_callbacks if isinstance(a, BearerToken)]
                assert len(scopes) == len(operation.auth_callbacks) <= 1, (path, scopes)
                for method in operation.methods:
                    found[(method, path)] = scopes[0] if scopes else PUBLIC
    return found


def test_every_operation_has_a_row_and_needs_the_scope_in_it():
    registered = operations()
    missing = sorted(set(registered) - set(SCOPE_OF))
    assert not missing, f"say in SCOPE_OF which scope these need: {missing}"
    assert not sorted(set(SCOPE_OF) - set(registered)), "SCOPE_OF has rows for no operation"
    assert registered == SCOPE_OF


@pytest.fixture
def samples(ca_hierarchy) -> dict[str, str]:
    holder = factories.person("s2410001")
    now = timezone.now()
    certificate = factories.issue(holder, at=now)
    campaign = Campaign.objects.create(
        name="g1-to-g2",
        new_authority=ca_hierarchy.intermediate,
        cutoff=now,
        deadline=now + timedelta(days=60),
        created_by="test",
        created_at=now,
    )
    return {
        "uid": holder.uid,
        "serial": certificate.serial,
        "pickup_id": str(certificate.pickup.pk),
        "request_id": str(certificate.pickup.request_id),
        "campaign_id": str(campaign.pk),
    }


def _url(path: str, samples: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        assert match.group(1) in samples, f"add a sample for {{{match.group(1)}}}"
        return samples[match.group(1)]

    return "/api/v1" + re.sub(r"\{(\w+)\}", fill, path)


@pytest.mark.parametrize(("method", "path"), sorted(SCOPE_OF))
def test_each_scope_against_each_operation(client, samples, method, path):
    cache.clear()
    needed = SCOPE_OF[(method, path)]
    url = _url(path, samples)

    def call(headers: dict[str, str]) -> int:
        if method == "GET":
            return client.get(url, **headers).status_code
        body = json.dumps(
            {"idempotency_key": "scope-test", "serial": samples["serial"], "result": "accept"}
        )
        answer = client.generic(method, url, body, content_type="application/json", **headers)
        return answer.status_code

    without = call({})
    assert (without == 401) == (needed is not PUBLIC), without
    for scope in SCOPES:
        raw, _ = create_token(scope.replace(":", "-"), [scope], actor="test")
        status = call({"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        if needed is PUBLIC or scope == needed:
            assert status not in (401, 403) and status < 500, (scope, status)
        else:
            assert status == 403, (scope, status)
