"""POST /api/v1/sightings: a relying party reports each login; one row per (certificate,
token, NAS) counts them; unknown serials, bad bodies and floods get typed answers."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.oneline import oneline
from jitsuin.sightings.models import Sighting
from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def certificate(ca_hierarchy):
    return factories.certificate(factories.person("s2410001"), at=timezone.now())


def report(client, headers, body, result="accept", **extra):
    return client.post(
        "/api/v1/sightings",
        data=json.dumps({"result": result, **body}),
        content_type="application/json",
        **headers,
        **extra,
    )


def freeradius_body(certificate, nas="ap-lib-3f"):
    """What the documented rlm_rest block sends: the serial's bytes in lower-case hex and the
    issuer as X509_NAME_oneline writes it."""
    return {
        "serial": certificate.serial_number.hex.lower(),
        "issuer": oneline(certificate_of(certificate.issuer).subject),
        "nas_identifier": nas,
        "nas_ip": "10.1.2.3",
    }


def test_logins_at_one_nas_count_on_one_row(client, certificate):
    headers = bearer("sightings:write", name="radius-1")
    for _ in range(3):
        answer = report(client, headers, freeradius_body(certificate))
        assert answer.status_code == 200, answer.content
    refused = report(client, headers, freeradius_body(certificate), result="Reject")
    assert refused.status_code == 200 and refused.json()["result"] == "reject"
    row = Sighting.objects.get()
    assert (row.certificate, row.token_name, row.nas_identifier, row.nas_ip) == (
        certificate,
        "radius-1",
        "ap-lib-3f",
        "10.1.2.3",
    )
    assert (row.accept_count, row.reject_count, row.last_result) == (3, 1, "reject")
    assert row.last_accepted_at is not None and row.last_accepted_at <= row.last_seen_at
    assert refused.json()["accept_count"] == 3 and refused.json()["nas"] == "ap-lib-3f"
    assert not AuditEvent.objects.filter(actor="token:radius-1").exists()  # not audited per login


def test_another_nas_or_token_gets_its_own_row(client, certificate):
    report(client, bearer("sightings:write", name="radius-1"), freeradius_body(certificate))
    report(client, bearer("sightings:write", name="radius-2"), freeradius_body(certificate))
    report(
        client,
        bearer("sightings:write", name="radius-3"),
        {"serial": certificate.serial_number.hex_pairs, "nas_identifier": "sw-7"},
    )
    assert sorted(Sighting.objects.values_list("token_name", "nas_identifier")) == [
        ("radius-1", "ap-lib-3f"),
        ("radius-2", "ap-lib-3f"),
        ("radius-3", "sw-7"),
    ]


@pytest.mark.parametrize(
    "issuer",
    ["oneline", "rfc4514", "name", "slug"],
)
def test_the_issuer_may_be_spelt_as_freeradius_rfc4514_or_by_name(client, certificate, issuer):
    authority = certificate.issuer
    subject = certificate_of(authority).subject
    spelt = {
        "oneline": oneline(subject),
        "rfc4514": subject.rfc4514_string(),
        "name": authority.name,
        "slug": authority.slug,
    }[issuer]
    answer = report(
        client, bearer("sightings:write"), {"serial": certificate.serial, "issuer": spelt}
    )
    assert answer.status_code == 200, answer.content


def test_an_unknown_serial_or_foreign_issuer_is_a_typed_404_and_not_recorded(client, certificate):
    headers = bearer("sightings:write")
    missing = report(client, headers, {"serial": "abcdef0123"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing.json()["message"] != "There is no certificate with this serial."
    foreign = report(
        client, headers, {"serial": certificate.serial, "issuer": "/C=JP/O=Elsewhere/CN=Other CA"}
    )
    assert foreign.status_code == 404
    assert not Sighting.objects.exists()


@pytest.mark.parametrize(
    ("body", "result"),
    [
        ({"serial": "xyz"}, "accept"),
        ({}, "accept"),
        ({"serial": "ab"}, "maybe"),
        ({"serial": "ab", "nas_identifier": "x" * 300}, "accept"),
        ({"serial": "ab", "nas_ip": 7}, "accept"),
        ({"serial": "ab"}, "accepted"),
        ({"serial": "ab", "nas_identifier": "ap\x00"}, "accept"),
    ],
)
def test_a_bad_body_or_result_is_a_typed_422(client, certificate, body, result):
    answer = report(client, bearer("sightings:write"), body, result=result)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


def test_a_flood_is_refused_without_hurting_other_tokens(client, certificate, monkeypatch):
    monkeypatch.setenv("JITSUIN_API_RATE", "5")
    config.current.cache_clear()
    flood = bearer("sightings:write", name="radius-flood")
    calm = bearer("sightings:write", name="radius-calm")
    body = freeradius_body(certificate)
    statuses = [report(client, flood, body).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    refused = report(client, flood, body)
    assert refused.json()["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    assert report(client, calm, body).status_code == 200
    assert Sighting.objects.get(token_name="radius-flood").accept_count == 5
    config.current.cache_clear()


def test_a_token_without_the_scope_is_refused(client, certificate):
    answer = report(client, bearer("certificates:read"), freeradius_body(certificate))
    assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"
    assert report(client, {}, freeradius_body(certificate)).status_code == 401
    assert not Sighting.objects.exists()


def test_a_serial_two_cas_used_needs_the_issuer(client, certificate):
    root = Authority.objects.roots().get()
    twin = Certificate.objects.get(pk=certificate.pk)
    twin.pk, twin.issuer, twin.fingerprint_sha256 = None, root, "0" * 64
    twin.save()
    headers = bearer("sightings:write")
    ambiguous = report(client, headers, {"serial": certificate.serial})
    assert ambiguous.status_code == 409 and ambiguous.json()["code"] == "ambiguous_serial"
    named = report(client, headers, freeradius_body(certificate))
    assert named.status_code == 200 and named.json()["issuer"] == certificate.issuer.name
    assert Sighting.objects.get().certificate == certificate
