from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import PublishedCrl
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing import health, periodic
from jitsuin.authorities.publishing.settings import timings
from jitsuin.jobs.periodic import registered
from tests.revocation.factories import issue

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
    # Noon, local time: "once a day" counts local days, and five minutes later is the same one.
    now = timezone.localtime().replace(hour=12, minute=0)
    publishing.refresh_crls(now)
    PublishedCrl.objects.filter(authority=pki.current).update(next_update=now - timedelta(hours=1))
    assert health.alert_staff(now) == 1
    assert health.alert_staff(now) == 0
    assert AuditEvent.objects.filter(action="revocation.stale").count() == 1


def test_the_periodic_job_is_registered_and_republishes(pki):
    assert "revocation.refresh" in registered()
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
    assert {a.pk for a in renewed} == {pki.root.pk, pki.current.pk, pki.old.pk}
    assert responder_end(pki.current) > before
    assert responder_end(pki.root) > before


def test_staff_get_one_stale_crl_email_a_day_in_both_languages(pki):
    from jitsuin.config import current
    from jitsuin.notify.models import OutboxMessage

    # Noon, local time: "once a day" counts local days, and five minutes later is the same one.
    now = timezone.localtime().replace(hour=12, minute=0)
    publishing.refresh_crls(now)
    PublishedCrl.objects.filter(authority=pki.current).update(next_update=now - timedelta(hours=1))
    assert health.alert_staff(now) == 1
    assert health.alert_staff(now + timedelta(minutes=5)) == 0
    mail = OutboxMessage.objects.get(event=health.STALE_EVENT)
    assert mail.to == current().helpdesk_email
    assert pki.current.name in mail.subject
    assert f"crl/{pki.current.slug}.crl" in mail.body
    assert "有効期限が切れています" in mail.subject and "EXPIRED" in mail.subject
    assert "jitsuin worker" in mail.body and "English" in mail.body  # ja + en by default
    assert health.alert_staff(now + timedelta(days=1)) == 1  # still stale the next day
    assert OutboxMessage.objects.filter(event=health.STALE_EVENT).count() == 2


def test_stale_ocsp_responses_are_one_email_a_day(pki):
    from jitsuin.authorities.models import OcspResponse
    from jitsuin.notify.models import OutboxMessage

    now = timezone.now()
    publishing.refresh_crls(now)
    issue(pki.current)
    issue(pki.current)
    OcspResponse.objects.update(next_update=now + timedelta(minutes=30))
    assert health.alert_staff(now) == 1
    assert health.alert_staff(now) == 0
    mail = OutboxMessage.objects.get(event=health.STALE_EVENT)
    assert "2" in mail.subject and "OCSP" in mail.subject
    assert "有効期限が近い、または切れた OCSP 応答: 2 件" in mail.body


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_stale_email_renders_in_each_language(pki, lang):
    from jitsuin.notify.services import render

    item = health.Staleness("crl:x", "no CRL published", "x:none", authority="X CA")
    subject, body = render(health.STALE_EVENT, health._mail_context(item), lang)
    assert "X CA" in subject and "/crl/x.crl" in body and "{{" not in body
    assert ("未発行" in subject) if lang == "ja" else ("never published" in subject)
