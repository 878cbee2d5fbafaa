"""Issue 10, item 10: an OCSP query is not the holder's word that the switch is done.

Anyone can ask the OCSP responder about a certificate (a monitoring probe, a helpdesk
``openssl ocsp``, the first of the holder's devices). Before, one such query for the new
certificate revoked the old one at the next housekeeping run, while the holder still had
PCs, tablets and phones to switch. Now a sighting only starts a grace period: the old
certificate goes when the holder confirms "installed on every device", at the end of the
grace after the new one's FIRST use, or at a running campaign's deadline, whichever is first.

The queries are real OCSP requests through ``/ocsp``; the sweep runs at later instants.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.authorities.services import certificate_of
from jitsuin.campaigns import services as campaigns
from jitsuin.lifecycle import overlap, sightings
from jitsuin.lifecycle.housekeeping import revoke_superseded
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    Person,
    Pickup,
    Request,
    RequestKind,
)
from jitsuin.lifecycle.services import collect_pickup, default_profile, request_issue
from jitsuin.revocation import answer as responder
from tests.campaigns import factories as campaign_factories
from tests.lifecycle.conftest import key, run_pipeline
from tests.portal.conftest import make_user_person
from tests.revocation.conftest import (  # noqa: F401 (autouse: fresh OCSP caches, no background flush)
    _fresh_process_caches,
)
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db
GRACE = timedelta(days=14)
SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertIDs, what probes and RADIUS servers send)


@pytest.fixture
def holder(ca_hierarchy) -> Person:
    assert default_profile().overlap_grace == GRACE
    return make_user_person("alice")


def issue_and_collect(person: Person, *, profile=None, now=None) -> Certificate:
    now = now or timezone.now()
    request = request_issue(
        person, actor=f"user:{person.uid}", idempotency_key=key("ov"), profile=profile, now=now
    )
    run_pipeline(now)
    request.refresh_from_db()
    assert request.certificate is not None, request.last_error
    collect_pickup(Pickup.objects.get(request=request), actor=f"user:{person.uid}", now=now)
    return Certificate.objects.get(pk=request.certificate_id)


def switch(person: Person, **kwargs) -> tuple[Certificate, Certificate]:
    """An old certificate and its overlap successor, both collected."""
    old = issue_and_collect(person, **kwargs)
    new = issue_and_collect(person, **kwargs)
    old.refresh_from_db()
    assert old.superseded_by_id == new.pk and old.status == CertificateStatus.VALID
    return old, new


def ocsp_request(certificate: Certificate) -> bytes:
    leaf = x509.load_der_x509_certificate(bytes(certificate.der))
    return (
        ocsp.OCSPRequestBuilder()
        .add_certificate(leaf, certificate_of(certificate.issuer), SHA1)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )


def ocsp_status(client, certificate: Certificate) -> ocsp.OCSPCertStatus:
    """What a relying party hears when it asks /ocsp about ``certificate`` (a sighting)."""
    body = ocsp_request(certificate)
    answer = client.post("/ocsp", data=body, content_type="application/ocsp-request")
    assert answer.status_code == 200
    return ocsp.load_der_ocsp_response(answer.content).certificate_status


def probe(client, certificate: Certificate, times: int = 3) -> Certificate:
    """Someone asks about ``certificate`` a few times; the periodic job writes the sightings."""
    for _ in range(times):
        assert ocsp_status(client, certificate) == ocsp.OCSPCertStatus.GOOD
    sightings.flush()
    certificate.refresh_from_db()
    return certificate


def superseded_revocations(old: Certificate):
    return Request.objects.filter(kind=RequestKind.REVOKE, target=old)


def test_ocsp_queries_alone_revoke_nothing_within_the_grace(client, holder):
    old, new = switch(holder)

    new = probe(client, new)

    assert new.first_seen_at is not None and new.last_seen_at is not None
    for later in (timedelta(minutes=1), timedelta(hours=1), GRACE - timedelta(minutes=2)):
        assert revoke_superseded(new.first_seen_at + later) == 0
    assert not superseded_revocations(old).exists()
    run_pipeline(new.first_seen_at + GRACE - timedelta(minutes=2))
    old.refresh_from_db()
    assert old.status == CertificateStatus.VALID
    assert ocsp_status(client, old) == ocsp.OCSPCertStatus.GOOD


def test_later_sightings_do_not_move_the_first_use(client, holder):
    _, new = switch(holder)
    new = probe(client, new)
    first = new.first_seen_at
    responder.answer(ocsp_request(new), now=first + timedelta(days=5))  # a query days later
    sightings.flush()
    new.refresh_from_db()
    assert new.first_seen_at == first
    assert new.last_seen_at == first + timedelta(days=5)


def test_after_first_use_and_the_grace_the_old_one_is_revoked_as_superseded(client, holder):
    old, new = switch(holder)
    new = probe(client, new)
    due_at = new.first_seen_at + GRACE
    assert overlap.revoke_date(old, due_at) == due_at

    assert revoke_superseded(due_at) == 1

    revoke = superseded_revocations(old).get()
    assert (revoke.reason, revoke.requested_by) == ("superseded", "system:overlap")
    assert AuditEvent.objects.filter(
        action="request.revoke.created", actor="system:overlap", object_id=str(revoke.pk)
    ).exists()
    run_pipeline(due_at)
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED and old.revocation_reason == "superseded"
    # Relying parties hear it from then on (the responder at that later instant).
    reset_process_caches()
    heard = responder.answer(ocsp_request(old), now=due_at + timedelta(minutes=1))
    assert ocsp.load_der_ocsp_response(heard.der).certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(client, new) == ocsp.OCSPCertStatus.GOOD


def test_a_new_certificate_never_used_leaves_the_old_one_alone(client, holder):
    old, new = switch(holder)
    probe(client, old)  # the holder's devices still use the old one

    assert overlap.revoke_date(old, timezone.now()) is None
    assert revoke_superseded(timezone.now() + timedelta(days=300)) == 0
    assert not superseded_revocations(old).exists()


def test_confirming_every_device_revokes_at_once(client, holder):
    old, new = switch(holder)
    new = probe(client, new)
    portal = Client(HTTP_ACCEPT_LANGUAGE="en")
    portal.force_login(holder.user)
    page = portal.get(f"/certificates/{new.pk}/").content.decode()
    assert "I have installed the new certificate on every device" in page
    assert "New certificate last used" in page
    revoke_on = timezone.localtime(new.first_seen_at + GRACE).strftime("%Y-%m-%d %H:%M")
    assert f"Your old certificate will stop working on {revoke_on}" in page

    japanese = Client(HTTP_ACCEPT_LANGUAGE="ja")
    japanese.force_login(holder.user)
    page = japanese.get(f"/certificates/{new.pk}/").content.decode()
    assert "新しい証明書をすべての端末" in page
    assert f"旧証明書は {revoke_on} に使えなくなります" in page

    assert portal.post(f"/certificates/{new.pk}/confirm/").status_code == 302

    revoke = superseded_revocations(old).get()
    assert (revoke.reason, revoke.requested_by) == ("superseded", "user:alice")
    run_pipeline(timezone.now())
    old.refresh_from_db()
    assert old.status == CertificateStatus.REVOKED


def test_a_running_campaign_deadline_revokes_the_old_one(client):
    scene = campaign_factories.scene()
    campaign = campaign_factories.campaign_starting_now(scene, 1, name="g1-to-g2", real=1)
    campaigns.start(campaign, actor="user:op", now=timezone.now())
    person = Person.objects.get()
    old = Certificate.objects.get(person=person, issuer=scene.old)
    new = issue_and_collect(person, profile=scene.profiles["overlap"])
    assert new.issuer == scene.new
    old.refresh_from_db()
    assert old.superseded_by == new

    # Never used: the deadline is the date, and it is shown as such.
    assert overlap.revoke_date(old, timezone.now()) == campaign.deadline
    assert revoke_superseded(campaign.deadline - timedelta(minutes=1)) == 0
    assert revoke_superseded(campaign.deadline) == 1
    assert superseded_revocations(old).get().reason == "superseded"


def test_the_campaign_deadline_wins_when_it_comes_before_the_grace(client):
    scene = campaign_factories.scene()
    campaign = campaign_factories.campaign_starting_now(scene, 1, name="g1-to-g2", real=1)
    campaigns.start(campaign, actor="user:op", now=timezone.now())
    person = Person.objects.get()
    old = Certificate.objects.get(person=person, issuer=scene.old)
    new = probe(client, issue_and_collect(person, profile=scene.profiles["overlap"]))
    campaign.deadline = new.first_seen_at + timedelta(days=3)
    campaign.save(update_fields=["deadline"])
    old.refresh_from_db()

    assert overlap.revoke_date(old, timezone.now()) == campaign.deadline
    assert revoke_superseded(campaign.deadline - timedelta(minutes=1)) == 0
    assert revoke_superseded(campaign.deadline) == 1


def test_the_helpdesk_sees_first_and_last_use_and_the_date(client, holder):
    old, new = switch(holder)
    fresh = probe(client, new)
    helpdesk = sign_in(staff("hd1", "helpdesk"), client=Client(HTTP_ACCEPT_LANGUAGE="en"))

    page = helpdesk.get(reverse("console:person", args=[holder.pk])).content.decode()

    seen = timezone.localtime(fresh.last_seen_at).strftime("%Y-%m-%d %H:%M")
    assert f"first {seen}, last {seen}" in page
    assert "not seen in use yet" in page  # the old one: nobody asked about it
    assert f"New certificate last used {seen}; the old one not seen in use yet." in page
    revoke_on = timezone.localtime(fresh.first_seen_at + GRACE).strftime("%Y-%m-%d %H:%M")
    assert f"The old one is revoked on {revoke_on}" in page
