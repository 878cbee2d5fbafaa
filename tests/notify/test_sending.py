"""E-mails through a real SMTP server: right language, exactly once, retried when refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jitsuin.audit.models import AuditEvent
from jitsuin.jobs.periodic import registered
from jitsuin.lifecycle import notifications, transitions
from jitsuin.lifecycle.models import Pickup
from jitsuin.notify.models import OutboxMessage, OutboxState
from jitsuin.notify.sending import RETRY_DELAYS, send_due
from jitsuin.notify.services import enqueue, resend
from jitsuin.workdays import JAPAN
from tests.notify import factories
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db

# After the test CA was made (at the real now), on a whole minute in Japan time.
T0 = timezone.now().astimezone(JAPAN).replace(second=0, microsecond=0) + timedelta(minutes=5)


def revoke(certificate, at=T0, reason="superseded"):
    return factories.revoke(certificate, at=at, reason=reason)


def test_revocation_notice_reaches_the_server_in_japanese(ca_hierarchy, smtp_server):
    holder = factories.person(language="ja")
    certificate = factories.certificate(holder, at=T0)
    revoke(certificate)

    results = send_due(T0)

    assert [r.outcome for r in results] == ["sent"]
    [mail] = smtp_server.received
    assert mail["To"] == holder.email
    assert "失効通知" in mail["Subject"]
    body = mail.get_content()
    assert certificate.serial_number.hex in body
    assert str(certificate.serial_int) in body
    assert "新しい証明書の取得" not in body  # superseded: no "issue next" advice
    assert f"{T0:%Y-%m-%d %H:%M}" in body
    assert OutboxMessage.objects.get().state == OutboxState.SENT


def test_english_speakers_get_english(ca_hierarchy, smtp_server):
    holder = factories.person(language="en")
    certificate = factories.certificate(holder, at=T0)
    revoke(certificate, reason="keyCompromise")

    send_due(T0)

    [mail] = smtp_server.received
    assert mail["Subject"].startswith("[jitsuin] Revocation notice")
    body = mail.get_content()
    assert "Reason: key compromise" in body
    assert "You can now request a new certificate" in body
    assert "様" not in body


def test_the_same_event_twice_makes_one_email(ca_hierarchy, smtp_server):
    holder = factories.person()
    certificate = factories.certificate(holder, at=T0)
    revoke(certificate)
    revoke(certificate)  # a retried task records the revocation again

    send_due(T0)
    send_due(T0 + timedelta(hours=1))

    assert OutboxMessage.objects.count() == 1
    assert len(smtp_server.received) == 1


def test_nothing_is_queued_when_the_change_rolls_back(ca_hierarchy):
    holder = factories.person()
    certificate = factories.certificate(holder, at=T0)
    with pytest.raises(RuntimeError), transaction.atomic():
        revoke(certificate)
        raise RuntimeError("the revocation failed after it was recorded")
    assert not OutboxMessage.objects.exists()


def test_a_refusing_server_leads_to_retries_and_never_a_duplicate(ca_hierarchy, smtp_settings):
    holder = factories.person()
    request = factories.request(holder, at=T0)
    with transaction.atomic():
        transitions.record_creation(request, actor="x", now=T0)

    with SmtpServer(port=smtp_settings, refuse=2) as server:
        first = send_due(T0)
        assert [r.outcome for r in first] == ["retry"]
        assert "451" in first[0].error
        assert send_due(T0 + timedelta(seconds=30)) == []  # not due yet: backoff
        second = send_due(T0 + RETRY_DELAYS[0])
        assert [r.outcome for r in second] == ["retry"]
        third = send_due(T0 + RETRY_DELAYS[0] + RETRY_DELAYS[1])
        assert [r.outcome for r in third] == ["sent"]
        for hours in (1, 5, 48):
            assert send_due(T0 + timedelta(hours=hours)) == []

    assert server.handler.refused == 2
    assert len(server.received) == 1
    message = OutboxMessage.objects.get()
    assert message.attempts == 3 and message.state == OutboxState.SENT
    assert server.received[0]["Message-ID"] == message.message_id


def test_a_server_that_is_down_then_up_gets_the_message_once(ca_hierarchy, smtp_settings):
    holder = factories.person(language="en")
    request = factories.request(holder, at=T0)
    with transaction.atomic():
        transitions.record_creation(request, actor="x", now=T0)

    down = send_due(T0)
    assert [r.outcome for r in down] == ["retry"]
    assert "Connection refused" in down[0].error or "Errno" in down[0].error
    with SmtpServer(port=smtp_settings) as server:
        send_due(T0 + timedelta(minutes=2))
        send_due(T0 + timedelta(minutes=3))
    [mail] = server.received
    assert mail["Subject"] == f"[jitsuin] Certificate request received (#{request.pk})"


def test_after_the_last_retry_the_message_is_marked_failed(ca_hierarchy, smtp_settings):
    holder = factories.person()
    request = factories.request(holder, at=T0)
    with transaction.atomic():
        transitions.record_creation(request, actor="x", now=T0)
    now = T0
    outcomes = []
    for _ in range(len(RETRY_DELAYS) + 1):
        outcomes += [r.outcome for r in send_due(now)]
        now += timedelta(days=2)
    assert outcomes[-1] == "gave_up" and outcomes.count("retry") == len(RETRY_DELAYS)
    assert OutboxMessage.objects.get().state == OutboxState.FAILED
    assert AuditEvent.objects.filter(action="notify.gave_up").count() == 1
    assert send_due(now + timedelta(days=30)) == []


def test_ready_to_download_names_the_pickup_deadline(ca_hierarchy, smtp_server):
    holder = factories.person()
    certificate = factories.issue(holder, at=T0)
    deadline = T0 + timedelta(days=14)
    assert Pickup.objects.get(certificate=certificate).expires_at == deadline
    send_due(T0)
    [mail] = smtp_server.received
    # The parser keeps the folding space before an encoded subject; clients drop it.
    assert mail["Subject"].strip() == "[jitsuin] 証明書をダウンロードできます"
    body = mail.get_content()
    assert f"ダウンロード期限: {deadline:%Y-%m-%d %H:%M}" in body
    assert "アクセスPIN" in body


def test_resend_sends_a_second_copy_on_purpose(ca_hierarchy, smtp_server):
    holder = factories.person()
    with transaction.atomic():
        original = enqueue(
            "request_received",
            person=holder,
            key="k1",
            context={"request_id": 7, "kind": "issue", "created_at": T0},
        )
    send_due(T0)
    copy = resend(original, actor="user:helpdesk1", reason="user says it never arrived", now=T0)
    send_due(T0)
    assert copy.key == "k1:resend:1"
    assert len(smtp_server.received) == 2
    assert smtp_server.received[0]["Message-ID"] != smtp_server.received[1]["Message-ID"]
    event = AuditEvent.objects.get(action="notify.resent")
    assert event.actor == "user:helpdesk1" and event.data["reason"].startswith("user says")


def test_enqueue_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue("request_received", to="a@example.org", key="x", context={})


def test_a_committed_message_enqueues_its_send_task(django_capture_on_commit_callbacks):
    holder = factories.person()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = enqueue(
            "request_received",
            person=holder,
            key="task-1",
            context={"request_id": 1, "kind": "issue", "created_at": T0},
        )
    task = DBTaskResult.objects.get()
    assert task.queue_name == "notify"
    assert task.args_kwargs["args"] == [message.pk]


def test_the_periodic_jobs_are_registered_with_the_scheduler():
    names = set(registered())
    assert {
        "notify.send_due",
        "notify.remind_expiring",
        "notify.remind_pickups",
        "notify.alert_stuck",
    } <= names


def test_a_repeated_ready_notice_makes_one_ready_email_and_one_audit_event(ca_hierarchy):
    holder = factories.person()
    # Made with this certificate object, as the pipeline does: the notice needs no query.
    certificate = factories.issue(holder, at=T0)
    deadline = T0 + timedelta(days=14)
    with transaction.atomic():
        notifications.certificate_ready(certificate)  # in one transaction
    with transaction.atomic():
        notifications.certificate_ready(certificate)  # a retried task
    [message] = OutboxMessage.objects.filter(event="certificate_ready")
    assert message.key == f"ready:{certificate.pk}"
    assert f"{deadline.astimezone(JAPAN):%Y-%m-%d %H:%M}" in message.body
    enqueued = AuditEvent.objects.filter(action="notify.enqueued", object_id=str(message.pk))
    assert enqueued.count() == 1


def test_a_certificate_without_pickup_gets_a_ready_email_without_a_deadline(ca_hierarchy):
    holder = factories.person()
    factories.issue(holder, at=T0, with_key=False)
    message = OutboxMessage.objects.get(event="certificate_ready")
    assert message.subject.endswith("証明書をダウンロードできます")
    assert "ダウンロード期限" not in message.body
