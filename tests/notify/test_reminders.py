"""Periodic scans: expiry reminders at 30 and 7 days, pickup reminders, stuck-request alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from jitsuin.lifecycle.models import Pickup
from jitsuin.lifecycle.notifications import alert_stuck, remind_expiring, remind_pickups
from jitsuin.lifecycle.queries import stuck_requests
from jitsuin.notify.models import Notice, OutboxMessage
from jitsuin.workdays import JAPAN
from tests.notify import factories

pytestmark = pytest.mark.django_db


def now_jst() -> datetime:
    return timezone.now().astimezone(JAPAN).replace(second=0, microsecond=0)


def test_expiry_reminders_at_30_and_7_days_each_once(ca_hierarchy):
    issued = now_jst()
    holder = factories.person(language="en")
    certificate = factories.certificate(holder, at=issued, validity=timedelta(days=60))

    assert remind_expiring(issued) == 0
    at_30 = certificate.not_after - timedelta(days=29)
    assert remind_expiring(at_30) == 1
    assert remind_expiring(at_30 + timedelta(hours=1)) == 0
    at_7 = certificate.not_after - timedelta(days=6)
    assert remind_expiring(at_7) == 1
    assert remind_expiring(at_7 + timedelta(days=1)) == 0

    keys = sorted(OutboxMessage.objects.values_list("key", flat=True))
    assert keys == [f"expiring-30:{certificate.pk}", f"expiring-7:{certificate.pk}"]
    subjects = sorted(OutboxMessage.objects.values_list("subject", flat=True))
    assert subjects == [
        "[jitsuin] Your client certificate expires in 30 days",
        "[jitsuin] Your client certificate expires in 7 days",
    ]


def test_no_expiry_reminder_once_a_successor_exists(ca_hierarchy):
    issued = now_jst()
    holder = factories.person()
    old = factories.certificate(holder, at=issued, validity=timedelta(days=20))
    new = factories.certificate(holder, at=issued, validity=timedelta(days=365))
    old.superseded_by = new
    old.save()
    assert remind_expiring(issued + timedelta(days=15)) == 0


def test_pickup_reminder_two_days_before_the_key_is_destroyed(ca_hierarchy):
    issued = now_jst()
    holder = factories.person()
    certificate = factories.certificate(holder, at=issued)
    request = factories.request(holder, at=issued, state="ready")
    pickup = Pickup.objects.create(
        request=request, certificate=certificate, expires_at=issued + timedelta(days=14)
    )
    assert remind_pickups(issued + timedelta(days=11)) == 0
    assert remind_pickups(issued + timedelta(days=12, hours=1)) == 1
    assert remind_pickups(issued + timedelta(days=13)) == 0
    message = OutboxMessage.objects.get()
    assert message.key == f"pickup-expiring:{pickup.pk}"
    assert "ダウンロード期限" in message.body


def test_a_request_is_stuck_after_three_business_days_across_golden_week(db, settings):
    holder = factories.person()
    made = datetime(2026, 4, 30, 15, 0, tzinfo=JAPAN)  # Thursday before the long weekend
    request = factories.request(holder, at=made, state="processing")

    assert stuck_requests(datetime(2026, 5, 7, 18, 0, tzinfo=JAPAN)) == []
    assert alert_stuck(datetime(2026, 5, 8, 14, 0, tzinfo=JAPAN)) == 0
    assert alert_stuck(datetime(2026, 5, 8, 15, 0, tzinfo=JAPAN)) == 1
    assert alert_stuck(datetime(2026, 5, 11, 9, 0, tzinfo=JAPAN)) == 0  # once per request

    alert = OutboxMessage.objects.get()
    assert alert.to == "helpdesk@localhost"
    assert alert.key == f"stuck:{request.pk}"
    assert f"滞留中の申請 #{request.pk}" in alert.subject
    assert f"/console/requests/{request.pk}/" in alert.body


def test_finished_requests_are_never_stuck(db):
    holder = factories.person()
    made = datetime(2026, 1, 5, 10, 0, tzinfo=JAPAN)
    factories.request(holder, at=made, state="cancelled")
    assert stuck_requests(datetime(2026, 2, 1, tzinfo=JAPAN)) == []


def test_notices_are_published_between_their_times(db):
    now = datetime(2026, 5, 1, 9, 0, tzinfo=JAPAN)
    shown = Notice.objects.create(
        title_ja="メンテナンスのお知らせ",
        title_en="Maintenance",
        body_ja="本文",
        body_en="Body",
        publish_at=now - timedelta(days=1),
        unpublish_at=now + timedelta(days=1),
    )
    Notice.objects.create(
        title_ja="未来",
        title_en="Future",
        body_ja="-",
        body_en="-",
        publish_at=now + timedelta(hours=1),
    )
    Notice.objects.create(
        title_ja="終了",
        title_en="Over",
        body_ja="-",
        body_en="-",
        publish_at=now - timedelta(days=3),
        unpublish_at=now,
    )
    assert list(Notice.objects.published(now)) == [shown]
    assert shown.title("en") == "Maintenance" and shown.title("ja") == "メンテナンスのお知らせ"
