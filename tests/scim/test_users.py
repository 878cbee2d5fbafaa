"""SCIM Users: create, read, filter, page, replace, patch, delete and the refusals, as an
identity manager calls them (RFC 7644), each change audited as the token."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin import config
from jitsuin.access.tokens import SCOPES
from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Certificate, CertificateStatus, LeaverState, Person
from jitsuin.scim.models import ScimLink
from tests.api.tokens import bearer
from tests.lifecycle.conftest import run_pipeline
from tests.lifecycle.test_leavers import grace_days
from tests.notify import factories

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM = "application/scim+json"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def idm(client):
    """A client holding a token with the scope scim, named idm."""
    return Scim(client, bearer("scim", name="idm"))


class Scim:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def call(self, method, path, body=None, **extra):
        data = json.dumps(body) if body is not None else None
        kwargs = {"content_type": SCIM} if data is not None else {}
        send = getattr(self.client, method.lower())
        return send(f"/scim/v2{path}", data=data, **kwargs, **self.headers, **extra)

    def get(self, path, **query):
        return self.client.get(f"/scim/v2{path}", query, **self.headers)


def user_body(uid="s2410001", **extra):
    body = {
        "schemas": [USER],
        "userName": uid,
        "externalId": f"entra-{uid}",
        "name": {"formatted": "Taro Yamada", "givenName": "Taro", "familyName": "Yamada"},
        "displayName": "山田 太郎",
        "emails": [{"value": f"{uid}@example.ac.jp", "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE: {"department": "工学部", "employeeNumber": "not kept"},
    }
    body.update(extra)
    return body


def patch_body(*operations):
    return {"schemas": [PATCH], "Operations": list(operations)}


def scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == SCIM
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


def test_create_makes_a_person_and_answers_201_with_the_user_and_its_location(idm):
    response = idm.call("POST", "/Users", user_body())
    assert response.status_code == 201 and response["Content-Type"] == SCIM
    user = response.json()
    person = Person.objects.get(uid="s2410001")
    assert user["id"] == str(person.pk)
    assert response["Location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    assert user["meta"]["resourceType"] == "User"
    assert (person.email, person.name_en, person.name_ja) == (
        "s2410001@example.ac.jp",
        "Taro Yamada",
        "山田 太郎",
    )
    assert person.scim_link.external_id == "entra-s2410001"
    assert user["name"] == {"formatted": "Taro Yamada", "givenName": "Taro", "familyName": "Yamada"}
    assert user["emails"] == [{"value": "s2410001@example.ac.jp", "type": "work", "primary": True}]
    assert person.affiliation == "工学部" and user[ENTERPRISE] == {"department": "工学部"}
    assert AuditEvent.objects.filter(action="person.added", actor="token:idm").exists()
    assert idm.get(f"/Users/{person.pk}").json() == user


def test_a_taken_user_name_is_a_409_uniqueness_whatever_its_case(idm):
    factories.person("s2410001")
    scim_error(idm.call("POST", "/Users", user_body("S2410001")), 409, "uniqueness")
    assert Person.objects.count() == 1


def test_a_user_without_an_email_or_user_name_is_a_400(idm):
    scim_error(idm.call("POST", "/Users", user_body(emails=[])), 400, "invalidValue")
    body = user_body()
    del body["userName"]
    assert idm.call("POST", "/Users", body).status_code == 400
    assert not Person.objects.exists()


def test_a_body_that_is_not_json_is_invalid_syntax(idm):
    response = idm.client.post("/scim/v2/Users", data="{nope", content_type=SCIM, **idm.headers)
    scim_error(response, 400, "invalidSyntax")


def test_filter_by_user_name_finds_one_case_insensitively(idm):
    factories.person("s2410001")
    factories.person("s2410002")
    listing = idm.get("/Users", filter='userName eq "S2410002"').json()
    assert listing["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert listing["totalResults"] == 1
    assert [u["userName"] for u in listing["Resources"]] == ["s2410002"]
    none = idm.get("/Users", filter='userName eq "nobody"').json()
    assert none["totalResults"] == 0 and none.get("Resources", []) == []


def test_filters_on_external_id_emails_and_active_and_combined(idm):
    idm.call("POST", "/Users", user_body("s1"))
    idm.call("POST", "/Users", user_body("s2", active=False))

    def found(expression):
        listing = idm.get("/Users", filter=expression).json()
        return sorted(u["userName"] for u in listing.get("Resources", []))

    assert found('externalId eq "entra-s1"') == ["s1"]
    assert found('externalId eq "ENTRA-S1"') == []  # externalId is case-exact
    assert found('emails[type eq "work" and value sw "s2@"]') == ["s2"]
    assert found("active eq false") == ["s2"]
    assert found('userName sw "s" and not (active eq false)') == ["s1"]
    assert found('emails.value ew "@example.ac.jp" or displayName co "山田"') == ["s1", "s2"]
    assert found(f'{ENTERPRISE}:department eq "工学部" and userName eq "s2"') == ["s2"]


@pytest.mark.parametrize(
    "expression", ["userName eq", 'userName xx "a"', 'nickName eq "a"', 'userName gt "a"']
)
def test_an_invalid_or_unsupported_filter_is_a_400_invalid_filter(idm, expression):
    scim_error(idm.get("/Users", filter=expression), 400, "invalidFilter")


def test_search_in_a_body_at_users_and_at_the_root(idm):
    factories.person("s2410001")
    factories.person("s2410002")
    search = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName ew "2"',
        "attributes": ["userName"],
    }
    for path in ("/Users/.search", "/.search"):
        listing = idm.call("POST", path, search).json()
        assert listing["totalResults"] == 1
        assert listing["Resources"][0]["userName"] == "s2410002"
        assert "emails" not in listing["Resources"][0]


def test_paging_by_start_index_and_count(idm):
    for n in range(5):
        factories.person(f"s{n}")
    page = idm.get("/Users", startIndex="2", count="2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [u["userName"] for u in page["Resources"]] == ["s1", "s2"]
    last = idm.get("/Users", startIndex="5", count="10").json()
    assert [u["userName"] for u in last["Resources"]] == ["s4"]
    only_total = idm.get("/Users", count="0").json()
    assert only_total["totalResults"] == 5 and not only_total.get("Resources")


def test_an_unknown_user_is_a_404(idm):
    scim_error(idm.get("/Users/999999"), 404)
    scim_error(idm.get("/Users/abc"), 404)
    scim_error(idm.get("/Users/" + "9" * 30), 404)  # no bigint overflow on PostgreSQL
    assert idm.get("/Users", filter='id eq "' + "9" * 30 + '"').json()["totalResults"] == 0
    assert idm.get("/Users", startIndex=str(10**30)).json()["totalResults"] == 0
    scim_error(idm.call("PATCH", "/Users/999999", patch_body({"op": "remove", "path": "x"})), 404)


def test_replace_sets_the_fields_and_empties_the_names_left_out(idm):
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    body = user_body(emails=[{"value": "new@example.ac.jp", "primary": True}], externalId="e2")
    del body["displayName"]
    del body[ENTERPRISE]
    response = idm.call("PUT", f"/Users/{pk}", body)
    assert response.status_code == 200
    person = Person.objects.get(pk=pk)
    assert (person.email, person.name_ja, person.affiliation) == ("new@example.ac.jp", "", "")
    assert person.scim_link.external_id == "e2"
    assert "displayName" not in response.json()
    assert AuditEvent.objects.filter(action="person.updated", actor="token:idm").exists()


def test_user_name_cannot_change(idm):
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    scim_error(idm.call("PUT", f"/Users/{pk}", user_body("other")), 400, "mutability")
    operation = {"op": "replace", "path": "userName", "value": "other"}
    scim_error(idm.call("PATCH", f"/Users/{pk}", patch_body(operation)), 400, "mutability")
    assert Person.objects.get(pk=pk).uid == "s2410001"


def test_patch_as_entra_id_sends_it(idm):
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    response = idm.call(
        "PATCH",
        f"/Users/{pk}",
        patch_body(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "t@example.ac.jp"},
            {"op": "Replace", "path": "displayName", "value": "山田 花子"},
            {"op": "Add", "path": "name.givenName", "value": "Hanako"},
            {"op": "Remove", "path": "name.formatted"},
        ),
    )
    assert response.status_code == 200, response.content
    person = Person.objects.get(pk=pk)
    assert (person.email, person.name_ja) == ("t@example.ac.jp", "山田 花子")
    assert person.name_en == "" and person.scim_link.given_name == "Hanako"
    assert response.json()["name"] == {"givenName": "Hanako", "familyName": "Yamada"}


def test_patch_with_an_invalid_path_is_a_400(idm):
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    operation = {"op": "replace", "path": "emails[type eq", "value": "x"}
    assert idm.call("PATCH", f"/Users/{pk}", patch_body(operation)).status_code == 400


def test_patch_active_false_deactivates_and_true_within_the_grace_reactivates(idm, monkeypatch):
    grace_days(monkeypatch, 7)
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    off = patch_body({"op": "Replace", "path": "active", "value": "False"})  # as Entra sends
    assert idm.call("PATCH", f"/Users/{pk}", off).json()["active"] is False
    person = Person.objects.get(pk=pk)
    assert not person.active and person.leavers.get().state == LeaverState.PENDING
    assert AuditEvent.objects.filter(action="person.deactivated", actor="token:idm").exists()
    on = patch_body({"op": "replace", "value": {"active": True}})  # as Okta sends
    assert idm.call("PATCH", f"/Users/{pk}", on).json()["active"] is True
    person.refresh_from_db()
    assert person.active and person.leavers.get().state == LeaverState.CANCELLED
    assert AuditEvent.objects.filter(action="person.reactivated", actor="token:idm").exists()


def test_a_leaver_through_scim_has_their_certificate_revoked(idm, ca_hierarchy, monkeypatch):
    grace_days(monkeypatch, 0)
    person = factories.person("s2410001")
    certificate = factories.issue(person, at=timezone.now())
    assert certificate.status == CertificateStatus.VALID
    off = patch_body({"op": "replace", "path": "active", "value": False})
    assert idm.call("PATCH", f"/Users/{person.pk}", off).status_code == 200
    run_pipeline(timezone.now())
    certificate = Certificate.objects.get(pk=certificate.pk)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "cessationOfOperation"
    assert person.leavers.get().state == LeaverState.DONE


def test_delete_deactivates_keeps_the_person_and_answers_404_afterwards(idm, monkeypatch):
    grace_days(monkeypatch, 7)
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    assert idm.call("DELETE", f"/Users/{pk}").status_code == 204
    person = Person.objects.get(pk=pk)
    assert not person.active and person.leavers.get().state == LeaverState.PENDING
    assert ScimLink.objects.get(person=person).deleted_at is not None
    assert AuditEvent.objects.filter(action="scim.user_deleted", actor="token:idm").exists()
    scim_error(idm.get(f"/Users/{pk}"), 404)
    scim_error(idm.call("DELETE", f"/Users/{pk}"), 404)
    assert idm.get("/Users", filter='userName eq "s2410001"').json()["totalResults"] == 0


def test_no_token_is_a_401_and_another_scope_a_403(client):
    scim_error(client.get("/scim/v2/Users"), 401)
    assert client.get("/scim/v2/Users")["WWW-Authenticate"].startswith("Bearer")
    scim_error(client.get("/scim/v2/Users", **bearer("people:read", name="reader")), 403)
    scim_error(client.get("/scim/v2/Schemas", **bearer("people:write", name="w")), 403)


def test_an_oversized_body_is_a_413_before_it_is_read(idm):
    body = json.dumps(user_body(displayName="x" * (3 * 1024 * 1024)))
    response = idm.client.post("/scim/v2/Users", data=body, content_type=SCIM, **idm.headers)
    scim_error(response, 413)
    assert not Person.objects.exists()


def test_a_nul_or_an_overlong_value_is_a_400_not_a_database_error(idm):
    scim_error(idm.call("POST", "/Users", user_body("a\x00b")), 400, "invalidValue")
    scim_error(idm.call("POST", "/Users", user_body("a" * 151)), 400, "invalidValue")
    assert not Person.objects.exists()


def test_discovery_documents(idm):
    config = idm.get("/ServiceProviderConfig").json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    assert not config["bulk"]["supported"] and not config["etag"]["supported"]
    types = idm.get("/ResourceTypes").json()
    assert [t["endpoint"] for t in types["Resources"]] == ["/Users"]
    assert idm.get("/ResourceTypes/User").json()["schema"] == USER
    schema = idm.get(f"/Schemas/{USER}").json()
    names = [a["name"] for a in schema["attributes"]]
    assert names == ["userName", "name", "displayName", "emails", "active"]
    extension = idm.get(f"/Schemas/{ENTERPRISE}").json()
    assert [a["name"] for a in extension["attributes"]] == ["department"]
    assert types["Resources"][0]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    scim_error(idm.get("/Schemas", filter='id eq "x"'), 403)
    scim_error(idm.get("/Groups"), 404)


def test_removing_active_is_refused_active_false_is_how_a_person_leaves(idm):
    pk = idm.call("POST", "/Users", user_body()).json()["id"]
    operation = {"op": "remove", "path": "active"}
    scim_error(idm.call("PATCH", f"/Users/{pk}", patch_body(operation)), 400, "mutability")
    assert Person.objects.get(pk=pk).active


@pytest.mark.parametrize("scope", sorted(set(SCOPES) - {"scim"}))
def test_only_the_scope_scim_lets_a_token_in(client, scope):
    headers = bearer(scope, name="other")
    for path in ("/Users", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"):
        scim_error(client.get(f"/scim/v2{path}", **headers), 403)
    body = json.dumps(user_body())
    scim_error(client.post("/scim/v2/Users", data=body, content_type=SCIM, **headers), 403)
    assert not Person.objects.exists()


def test_the_token_rate_applies_with_retry_after(client, monkeypatch):
    monkeypatch.setenv("JITSUIN_API_RATE", "2")
    config.current.cache_clear()
    headers = bearer("scim", name="flood")
    assert [client.get("/scim/v2/Users", **headers).status_code for _ in range(2)] == [200, 200]
    refused = client.get("/scim/v2/Users", **headers)
    scim_error(refused, 429)
    assert 1 <= int(refused["Retry-After"]) <= 60
    config.current.cache_clear()
