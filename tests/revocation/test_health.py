from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import periodic as lifecycle_periodic
from jitsuin.revocation import health, periodic, publishing
from jitsuin.revocation.models import PublishedCrl
from jitsuin.revocation.settings import timings

from .factories import issue

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_everything_is_fresh(client, pki):
    publishing.refresh_crls()
    issue(pki.current)
    body = client.get("/healthz").json()
    assert body["checks"]["revocation"]["status"] == "ok"


def test_healthz_degrades_when_a_crl_nears_its_next_update(client, pki):
    publishing.refresh_crls()
    PublishedCrl.objects.filter(authority=pki.old).update(
        next_update=timezone.now() + timings().crl_stale_margin - timedelta(minutes=1)
    )
    answer = client.get("/healthz")
    assert answer.status_code == 200  # degraded still serves CRLs
    body = answer.json()
    assert body["status"] == "degraded"
    assert "close to nextUpdate" in body["checks"]["revocation"]["detail"][f"crl:{pki.old.slug}"]


def test_staff_are_alerted_once_per_stale_crl(pki):
    now = timezone.now()
    publishing.refresh_crls(now)
    PublishedCrl.objects.filter(authority=pki.current).update(next_update=now - timedelta(hours=1))
    assert health.alert_staff(now) == 1
    assert health.alert_staff(now) == 0
    assert AuditEvent.objects.filter(action="revocation.stale").count() == 1


def test_the_periodic_job_is_registered_and_republishes(pki):
    assert "revocation.refresh" in lifecycle_periodic.registered()
    now = timezone.now()
    periodic.refresh(now)
    assert PublishedCrl.objects.count() == 3
    periodic.refresh(now + timings().crl_refresh + timedelta(minutes=1))
    assert PublishedCrl.objects.count() == 6
    assert health.find_stale(now + timings().crl_refresh + timedelta(minutes=2)) == []


def test_responder_certificates_are_renewed_a_month_before_they_expire(pki):
    from cryptography import x509

    def responder_end(authority):
        authority.refresh_from_db()
        return x509.load_der_x509_certificate(
            bytes(authority.ocsp_certificate_der)
        ).not_valid_after_utc

    before = responder_end(pki.current)
    assert periodic.renew_responders(timezone.now()) == []
    renewed = periodic.renew_responders(before - timedelta(days=29))
    assert {a.pk for a in renewed} == {pki.current.pk, pki.old.pk}
    assert responder_end(pki.current) > before
