"""What the e-mails tell people: when CRL-checking services see a revocation, that a download
window ended (instead of a revocation notice), and stuck alerts in the helpdesk's language."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.config import current
from jitsuin.lifecycle import housekeeping, services
from jitsuin.lifecycle.models import Pickup, Request
from jitsuin.lifecycle.notifications import alert_stuck
from jitsuin.notify.models import OutboxMessage
from jitsuin.workdays import JAPAN
from tests.notify import factories
from tests.notify.factories import run

pytestmark = pytest.mark.django_db


def revoke(certificate, at: datetime) -> None:
    factories.revoke(certificate, at=at, reason="keyCompromise")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ja", "{:%Y-%m-%d %H:%M} (日本時間) までに"), ("en", "by {:%Y-%m-%d %H:%M} (Japan time)")],
)
def test_revocation_notice_says_when_crl_checking_services_see_it(ca_hierarchy, language, expected):
    now = timezone.now().astimezone(JAPAN).replace(microsecond=0)
    holder = factories.person(language=language)
    certificate = factories.certificate(holder, at=now - timedelta(days=1))
    crl = publish_crl(certificate.issuer, now=now)

    revoke(certificate, now + timedelta(minutes=1))

    body = OutboxMessage.objects.get(event="revocation_done").body
    assert expected.format(crl.next_update.astimezone(JAPAN)) in body


def test_without_a_published_crl_the_notice_gives_the_crl_validity(ca_hierarchy):
    holder = factories.person(language="en")
    certificate = factories.certificate(holder, at=timezone.now() - timedelta(days=1))

    revoke(certificate, timezone.now())

    body = OutboxMessage.objects.get(event="revocation_done").body
    assert "see it within 168 hours." in body  # JITSUIN_CRL_VALIDITY defaults to 7 days


def test_an_expired_pickup_gets_its_own_mail_and_no_revocation_notice(ca_hierarchy):
    services.default_profile()
    holder = factories.person("s2599101", language="ja")
    issue = run(services.request_issue(holder, actor="user:s2599101", idempotency_key="x1"))
    assert issue.state == "ready"
    pickup = Pickup.objects.get(request=issue)

    after = pickup.expires_at + timedelta(minutes=1)
    assert housekeeping.expire_pickups(after) == 1
    revocation = Request.objects.get(kind="revoke", target=issue.certificate)
    assert run(revocation).state == "done"
    assert housekeeping.expire_pickups(after + timedelta(hours=1)) == 0

    events = list(OutboxMessage.objects.order_by("id").values_list("event", flat=True))
    assert events == ["request_received", "certificate_ready", "pickup_expired"]
    mail = OutboxMessage.objects.get(event="pickup_expired")
    assert "ダウンロード期限が過ぎました" in mail.subject
    assert f"{current().public_url}/requests/{issue.pk}/" in mail.body
    assert f"{pickup.expires_at.astimezone(JAPAN):%Y-%m-%d %H:%M}" in mail.body


def test_stuck_alert_is_in_japanese_and_english_by_default(db):
    holder = factories.person(name_en="Taro Hokuriku")
    made = datetime(2026, 1, 5, 10, 0, tzinfo=JAPAN)
    request = factories.request(holder, at=made, state="processing")

    assert alert_stuck(datetime(2026, 1, 20, 10, 0, tzinfo=JAPAN)) == 1

    alert = OutboxMessage.objects.get()
    assert alert.language == "ja+en"
    assert f"滞留中の申請 #{request.pk}" in alert.subject
    assert f"Stuck request #{request.pk}" in alert.subject
    assert "ヘルプデスク各位" in alert.body
    assert "Dear helpdesk," in alert.body
    assert "(Taro Hokuriku)" in alert.body


@pytest.fixture
def helpdesk_in_english(monkeypatch):
    monkeypatch.setenv("JITSUIN_HELPDESK_LANGUAGE", "en")
    current.cache_clear()
    yield
    current.cache_clear()  # the environment is restored right after this


def test_the_helpdesk_language_can_be_english_only(db, helpdesk_in_english):
    holder = factories.person()
    factories.request(holder, at=datetime(2026, 1, 5, 10, 0, tzinfo=JAPAN), state="failed")

    assert alert_stuck(datetime(2026, 1, 20, 10, 0, tzinfo=JAPAN)) == 1

    alert = OutboxMessage.objects.get()
    assert alert.language == "en"
    assert alert.subject.startswith("[jitsuin] Stuck request #")
    assert "ヘルプデスク" not in alert.body
