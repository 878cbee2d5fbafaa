"""The kept home page (jitsuin.portal.page_cache) reads exactly like a fresh render after every
change the page reflects, and one person never gets another's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.lifecycle import services
from jitsuin.lifecycle.models import MaintenanceWindow, Profile, Request
from jitsuin.notify.models import Notice
from jitsuin.portal import page_cache
from jitsuin.sightings.services import record_sighting
from tests.portal.conftest import run_worker
from tests.portal.kept_pages import _TOKEN, Clock, Pages, _masked

pytestmark = pytest.mark.django_db
_NAMES = re.compile(r"\{(person|now)\}")


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    cache.clear()
    return Clock(monkeypatch)


def test_every_change_the_home_page_shows_is_served_at_once(alice, client_for, clock, monkeypatch):
    pages = Pages(client_for(alice, language="en"), monkeypatch)
    uid = f"user:{alice.uid}"
    pages.check("nothing yet")

    request = services.request_issue(alice, actor=uid, idempotency_key="a" * 32)
    pages.check("issue requested")

    run_worker()
    request.refresh_from_db()
    assert request.pickup is not None
    pages.check("ready to download")

    pages.also = [f"/certificates/{request.certificate_id}/"]
    services.collect_pickup(request.pickup, actor=uid)
    pages.check("downloaded")

    certificate = request.certificate
    record_sighting(
        certificate,
        token_name="radius",
        nas_identifier="ap-1",
        nas_ip="192.0.2.1",
        result="accept",
        now=clock.now,
    )
    pages.check("used for Wi-Fi")

    profile = Profile.objects.get(pk=certificate.profile_id)
    profile.name_en = "Campus client certificate (renamed)"
    profile.save()
    pages.check("profile renamed")

    alice.name_en = "Alice Renamed"
    alice.save()
    pages.check("person renamed")

    Notice.objects.create(
        title_ja="お知らせ",
        title_en="Network works",
        body_ja="本文",
        body_en="Body",
        publish_at=clock.now - timedelta(minutes=1),
    )
    pages.check("notice published")
    Notice.objects.create(
        title_ja="予定",
        title_en="Scheduled notice",
        body_ja="本文",
        body_en="Body",
        publish_at=clock.now + timedelta(seconds=20),
    )
    pages.check("a notice scheduled", changed=False)
    clock.advance(21)
    pages.check("the scheduled notice's time came")

    MaintenanceWindow.objects.create(
        starts_at=clock.now + timedelta(seconds=15),
        ends_at=clock.now + timedelta(hours=1),
        note_en="Upgrade",
    )
    pages.check("maintenance announced")
    clock.advance(16)
    pages.check("maintenance started")
    clock.advance(3600)
    pages.check("maintenance ended")

    services.request_revoke(certificate, actor=uid, idempotency_key="b" * 32, reason="superseded")
    pages.check("revocation requested")
    run_worker()
    assert Request.objects.get(target=certificate).state == "done"
    pages.check("revoked")
    before = pages.fresh(pages.also[0])
    publish_crl(certificate.issuer, now=clock.now)
    pages.check("a CRL published: when services see the revocation", changed=False)
    assert _masked(pages.fresh(pages.also[0])) != _masked(before)

    pages.client.cookies["django_language"] = "ja"
    pages.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    japanese = pages.check("language switched")
    assert b'lang="ja"' in japanese

    clock.advance(61)
    pages.check("a minute later", changed=False)
    assert pages.hits >= 15


def test_two_people_never_get_each_other_s_page(alice_cert, bob, client_for, clock):
    alice_client, bob_client = client_for(alice_cert.person), client_for(bob)
    for _ in range(2):
        alice_page = alice_client.get("/").content
        bob_page = bob_client.get("/").content
        assert alice_cert.person.uid.encode() in alice_page
        assert bob.uid.encode() in bob_page
        assert alice_cert.person.uid.encode() not in bob_page
        assert f"certificate-{alice_cert.pk}".encode() not in bob_page


def test_a_page_with_a_message_is_never_kept(alice, client_for, clock):
    client = client_for(alice)
    client.get("/")
    response = client.post("/issue/", {"idempotency": "not a token"})
    assert response.status_code == 302
    with_message = client.get("/").content
    assert b'class="messages"' in with_message
    assert b'class="messages"' not in client.get("/").content


def test_the_csrf_token_is_fresh_on_every_serve(alice, client_for, clock):
    client = client_for(alice, csrf=True)
    first = client.get("/").content
    again = client.get("/").content
    tokens = set(_TOKEN.findall(first)) | set(_TOKEN.findall(again))
    assert _masked(first) == _masked(again) and len(tokens) == 2
    # The kept page's fresh token is accepted: signing out with it works.
    token = _TOKEN.findall(again)[0].decode()
    assert client.post(reverse("access:logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_scheduled_ca_revocation_is_shown_from_its_moment(
    alice_cert, client_for, clock, monkeypatch
):
    pages = Pages(client_for(alice_cert.person), monkeypatch)
    pages.also = [f"/certificates/{alice_cert.pk}/", f"/certificates/{alice_cert.pk}/status/"]
    pages.check("a valid certificate")
    Authority.objects.filter(pk=alice_cert.issuer_id).update(
        revoked_at=clock.now + timedelta(seconds=10), revocation_reason="superseded"
    )
    scheduled = pages.check("its CA's revocation scheduled")
    assert b'data-testid="switch-now"' in scheduled
    clock.advance(11)
    revoked = pages.check("the CA's revocation reached its time")
    assert b'data-status="issuer_revoked"' in revoked


# Tables the fingerprint reads one person's rows of: at 1,000,000 certificates a scan of any of
# them costs hundreds of milliseconds per page (an OR of two conditions on the certificates
# did: 400 ms a request).
_PER_PERSON = (
    "lifecycle_certificate",
    "lifecycle_request",
    "lifecycle_requesttransition",
    "lifecycle_pickup",
    "lifecycle_keyarchive",
    "sightings_sighting",
    "lifecycle_policyexception",
    "campaigns_member",
)


def test_the_fingerprint_reads_one_persons_rows_by_index_only(alice):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    sql = page_cache._query().sql
    params = [alice.pk if name == "person" else timezone.now() for name in _NAMES.findall(sql)]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the tables are tiny here
        cursor.execute("EXPLAIN " + _NAMES.sub("%s", sql), params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = [table for table in _PER_PERSON if f"Seq Scan on {table} " in plan]
    assert scanned == [], plan
