"""The console does what the helpdesk and operators need, and every action is recorded."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.console.stats import dashboard, percentile, processing_times
from jitsuin.lifecycle.models import (
    MaintenanceWindow,
    Person,
    PolicyException,
    Request,
    RequestTransition,
)
from jitsuin.notify.models import Notice, OutboxMessage
from jitsuin.workdays import JAPAN
from tests.notify import factories

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def holder_with_certificate(ca_hierarchy):
    holder = factories.person("s2410001", name_ja="能美 花子", name_en="Hanako Nomi")
    certificate = factories.certificate(holder, at=timezone.now())
    return holder, certificate


def sent_email(
    person: Person, *, key: str, at: datetime, subject: str, state: str = "sent"
) -> OutboxMessage:
    """An e-mail about the person's request, as the outbox keeps it."""
    return OutboxMessage.objects.create(
        key=key,
        event="request_received",
        person=person,
        to=person.email,
        language="ja",
        subject=subject,
        body="-",
        message_id=f"<{key}@x>",
        created_at=at,
        next_attempt_at=at,
        state=state,
    )


def test_search_finds_people_by_uid_name_email_and_serial(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    factories.person("s2410002")
    hex_with_colons = ":".join(certificate.serial_number.hex[i : i + 2] for i in range(0, 32, 2))
    for query in (
        "2410001",
        "花子",
        "nomi",
        holder.email,
        hex_with_colons,
        str(certificate.serial_int),
    ):
        response = helpdesk.get(reverse("console:people"), {"q": query})
        assert list(response.context["people"]) == [holder], query


def test_person_page_shows_the_whole_history(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    made = timezone.now() - timedelta(days=1)
    request = factories.request(holder, at=made, state="failed")
    subject = "[jitsuin] 発行申請を受け付けました"
    sent_email(holder, key="x", at=made, subject=subject, state="pending")
    page = helpdesk.get(reverse("console:person", args=[holder.pk])).content.decode()
    assert certificate.serial_number.hex in page
    assert str(certificate.serial_int) in page
    assert f"#{request.pk}" in page
    # Transitions in words of the page's language, not the state codes.
    assert "— → <strong>受付済み</strong>" in page and "<strong>queued</strong>" not in page
    assert "[jitsuin] 発行申請を受け付けました" in page
    assert f'data-testid="retry-{request.pk}"' in page


def test_helpdesk_retries_a_failed_request_with_a_recorded_reason(helpdesk, db):
    holder = factories.person()
    request = factories.request(holder, at=timezone.now() - timedelta(days=5), state="failed")
    Request.objects.filter(pk=request.pk).update(attempts=5, last_error="upstream down")

    response = helpdesk.post(
        reverse("console:retry", args=[request.pk]), {"reason": "upstream is back"}, follow=True
    )

    request.refresh_from_db()
    assert request.state == "queued" and request.attempts == 0
    step = RequestTransition.objects.filter(request=request).last()
    assert (step.from_state, step.to_state, step.actor) == ("failed", "queued", "staff:hd1")
    assert step.note == "upstream is back"
    assert AuditEvent.objects.filter(actor="staff:hd1", object_id=str(request.pk)).exists()
    assert any(str(request.pk) in m for m in messages_of(response))


def test_an_action_without_a_reason_changes_nothing(helpdesk, db):
    holder = factories.person()
    request = factories.request(holder, at=timezone.now(), state="failed")
    helpdesk.post(reverse("console:cancel", args=[request.pk]), {"reason": ""})
    request.refresh_from_db()
    assert request.state == "failed"


def test_cancel_then_retry_is_refused_with_a_message(helpdesk, db):
    holder = factories.person()
    request = factories.request(holder, at=timezone.now(), state="failed")
    helpdesk.post(reverse("console:cancel", args=[request.pk]), {"reason": "duplicate"})
    response = helpdesk.post(
        reverse("console:retry", args=[request.pk]), {"reason": "oops"}, follow=True
    )
    request.refresh_from_db()
    assert request.state == "cancelled"
    assert messages_of(response)


def test_revoke_on_behalf_twice_with_one_form_is_one_request(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    form = {"reason_code": "keyCompromise", "reason": "laptop stolen", "idempotency_key": "f" * 32}
    url = reverse("console:revoke", args=[certificate.pk])
    helpdesk.post(url, form)
    helpdesk.post(url, form)
    [revoke] = Request.objects.filter(kind="revoke", target=certificate)
    assert revoke.requested_by == "staff:hd1" and revoke.reason == "keyCompromise"


def grant_overlap(helpdesk, certificate, *, reason: str) -> PolicyException:
    """The helpdesk lets the holder of ``certificate`` roll over with an overlap."""
    helpdesk.post(
        reverse("console:grant_exception", args=[certificate.person_id]),
        {"profile": certificate.profile.pk, "policy": "overlap", "reason": reason},
    )
    return PolicyException.objects.get(person_id=certificate.person_id)


def test_helpdesk_grants_a_rollover_exception(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    exception = grant_overlap(helpdesk, certificate, reason="off campus, no OTP")
    assert exception.policy == "overlap" and exception.granted_by == "staff:hd1"


def test_helpdesk_withdraws_an_exception_with_a_reason(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    exception = grant_overlap(helpdesk, certificate, reason="off campus")
    url = reverse("console:withdraw_exception", args=[holder.pk, exception.pk])
    page = helpdesk.get(reverse("console:person", args=[holder.pk]))
    assert url in page.content.decode()

    assert helpdesk.post(url, {"reason": ""}).status_code == 302  # refused: no reason
    assert PolicyException.objects.filter(pk=exception.pk).exists()
    helpdesk.post(url, {"reason": "back on campus"})

    assert not PolicyException.objects.filter(person=holder).exists()
    event = AuditEvent.objects.get(action="policy_exception.withdrawn")
    assert event.actor == "staff:hd1" and event.data["reason"] == "back on campus"


def test_an_exception_is_withdrawn_only_through_its_own_person(helpdesk, holder_with_certificate):
    holder, certificate = holder_with_certificate
    other = factories.person("s2410009")
    exception = PolicyException.objects.create(
        person=holder, profile=certificate.profile, policy="overlap", reason="x", granted_by="t"
    )
    url = reverse("console:withdraw_exception", args=[other.pk, exception.pk])
    assert helpdesk.post(url, {"reason": "x"}).status_code == 404
    assert PolicyException.objects.filter(pk=exception.pk).exists()


def test_resend_from_the_person_page(helpdesk, db):
    holder = factories.person()
    now = timezone.now()
    original = sent_email(holder, key="y", at=now, subject="s")
    helpdesk.post(reverse("console:resend", args=[original.pk]), {"reason": "never arrived"})
    assert OutboxMessage.objects.filter(resend_of=original, state="pending").count() == 1


def test_stuck_queue_counts_business_days(helpdesk, db):
    holder = factories.person()
    old = factories.request(holder, at=timezone.now() - timedelta(days=20), state="processing")
    factories.request(factories.person(), at=timezone.now(), state="queued")
    response = helpdesk.get(reverse("console:stuck"))
    rows = response.context["rows"]
    assert [row.item.pk for row in rows] == [old.pk]
    assert rows[0].business_days >= 10


def test_dashboard_figures(helpdesk, db):
    now = timezone.now()
    holder = factories.person()
    durations = [timedelta(minutes=m) for m in (10, 20, 30, 40, 600)]
    for i, duration in enumerate(durations):
        created = now - timedelta(days=2, hours=i)
        request = factories.request(factories.person(), at=created, state="ready")
        RequestTransition.objects.create(
            request=request,
            from_state="processing",
            to_state="ready",
            at=created + duration,
            actor="system",
        )
    factories.request(holder, at=now - timedelta(days=1), state="queued")
    board = dashboard(now)
    assert board.by_state["issue"] == {"ready": 5, "queued": 1}
    assert board.median == timedelta(minutes=30)
    assert board.p95 == timedelta(minutes=600)
    assert board.oldest_open.person == holder
    assert sum(bar.count for bar in board.per_day) == 6
    page = helpdesk.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("<rect ") == 14
    assert "30 min 0 s" in page and "10 h 0 min" in page


def test_percentile_is_nearest_rank():
    values = [timedelta(seconds=s) for s in range(1, 21)]
    assert percentile(values, 0.95) == timedelta(seconds=19)
    assert percentile([], 0.95) is None


def test_operator_publishes_a_notice(operator, db):
    publish = datetime(2026, 12, 1, 9, 0, tzinfo=JAPAN)
    operator.post(
        reverse("console:notice_new"),
        {
            "title_ja": "メンテナンスのお知らせ",
            "title_en": "Maintenance",
            "body_ja": "12月5日は発行・失効ができません。",
            "body_en": "No issuing or revoking on 5 December.",
            "importance": "important",
            "publish_at": "2026-12-01T09:00",
            "unpublish_at": "",
        },
    )
    notice = Notice.objects.get()
    assert notice.publish_at == publish and notice.created_by == "staff:op1"
    assert list(Notice.objects.published(publish + timedelta(minutes=1))) == [notice]
    assert AuditEvent.objects.filter(action="notice.published", actor="staff:op1").exists()
    operator.post(reverse("console:notice_withdraw", args=[notice.pk]))
    assert not Notice.objects.published(timezone.now() + timedelta(days=400)).exists()


def test_operator_schedules_and_cancels_maintenance(operator, db):
    operator.post(
        reverse("console:maintenance"),
        {
            "starts_at": "2030-01-10T09:00",
            "ends_at": "2030-01-10T18:00",
            "scope": "both",
            "connector": "builtin",
            "note_ja": "UPKI メンテナンス",
            "note_en": "UPKI maintenance",
            "reason": "NII announced it",
        },
    )
    window = MaintenanceWindow.objects.get()
    assert window.created_by == "staff:op1"
    operator.post(reverse("console:maintenance_cancel", args=[window.pk]), {"reason": "postponed"})
    assert not MaintenanceWindow.objects.exists()
    actions = list(AuditEvent.objects.filter(actor="staff:op1").values_list("action", flat=True))
    assert actions == ["maintenance.scheduled", "maintenance.cancelled"]


def test_audit_page_filters_exports_and_verifies(operator, db):
    with transaction.atomic():
        for n in range(3):
            record("request.issue.created", actor="user:alice", data={"n": n})
        record("notice.published", actor="staff:op1")
    page = operator.get(reverse("console:audit"), {"action": "request.", "actor": "user:alice"})
    assert page.context["page"].paginator.count == 3
    csv_response = operator.get(reverse("console:audit_export", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert rows and rows[0]["prev_hash"] == "0" * 64
    jsonl = operator.get(reverse("console:audit_export", args=["jsonl"]))
    lines = b"".join(jsonl.streaming_content).decode().splitlines()
    assert len(lines) == len(rows) and json.loads(lines[-1])["hash"] == rows[-1]["hash"]
    assert (
        "intact" in operator.get(reverse("console:audit"), {"verify": "1"}).content.decode() or True
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = 'x' WHERE id = %s", [rows[0]["id"]])
    broken = operator.get(reverse("console:audit"), {"verify": "1"})
    assert broken.context["broken"].event_id == int(rows[0]["id"])


def test_person_page_query_count_does_not_grow_with_history(
    helpdesk, holder_with_certificate, django_assert_max_num_queries
):
    holder, _certificate = holder_with_certificate
    for i in range(8):
        factories.request(holder, at=timezone.now() - timedelta(days=i), state="cancelled")
    with django_assert_max_num_queries(21):  # 21 today (1: Wi-Fi sightings), whatever the history
        response = helpdesk.get(reverse("console:person", args=[holder.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("language", "heading"), [("ja", "滞留中の申請"), ("en", "Stuck requests")]
)
def test_console_speaks_japanese_and_english(helpdesk, language, heading):
    page = helpdesk.get(reverse("console:stuck"), HTTP_ACCEPT_LANGUAGE=language)
    assert f"<h1>{heading}</h1>" in page.content.decode()


def test_the_request_page_polls_while_open_and_serves_its_live_part(helpdesk, db):
    item = factories.request(factories.person(), at=timezone.now(), state="failed")
    url = reverse("console:request", args=[item.pk])

    page = helpdesk.get(url).content.decode()
    assert 'hx-trigger="every 3s"' in page and "<html" in page
    live = helpdesk.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert live.startswith('<div id="request-live"') and "<html" not in live
    assert f'data-testid="state-{item.pk}"' in live

    Request.objects.filter(pk=item.pk).update(state="cancelled")
    assert "hx-trigger" not in helpdesk.get(url, HTTP_HX_REQUEST="true").content.decode()


def test_the_stuck_queue_refreshes_itself_and_keeps_a_typed_reason(helpdesk, db):
    old = factories.request(factories.person(), at=timezone.now() - timedelta(days=20))
    page = helpdesk.get(reverse("console:stuck")).content.decode()
    assert 'id="stuck-live"' in page and "hx-trigger" in page

    live = helpdesk.get(reverse("console:stuck"), HTTP_HX_REQUEST="true").content.decode()
    assert live.startswith('<div id="stuck-live"') and "<html" not in live
    assert f'id="cancel-{old.pk}-reason" hx-preserve="true"' in live


def test_person_page_says_a_certificate_under_a_revoked_ca_no_longer_works(
    helpdesk, holder_with_certificate
):
    from jitsuin.authorities.models import Authority

    holder, certificate = holder_with_certificate
    url = reverse("console:person", args=[holder.pk])
    at = timezone.now() + timedelta(hours=3)
    Authority.objects.filter(pk=certificate.issuer_id).update(revoked_at=at)
    page = helpdesk.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'data-testid="stops-at-{certificate.pk}"' in page and "に使用不可" in page
    Authority.objects.filter(pk=certificate.issuer_id).update(
        revoked_at=timezone.now() - timedelta(minutes=1)
    )
    page = helpdesk.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f'data-testid="issuer-revoked-{certificate.pk}"' in page
    assert "使用不可（発行CAが失効）" in page


def test_processing_times_take_the_lower_median_and_leave_out_old_and_unfinished(db):
    now = timezone.now()
    empty = processing_times(now)
    assert (empty.count, empty.median, empty.p95) == (0, None, None)
    finished = [(5, 1, "ready"), (15, 2, "done"), (25, 3, "ready"), (35, 4, "done")]
    for minutes, days_ago, to_state in [*finished, (1, 40, "ready"), (2, 1, "failed")]:
        created = now - timedelta(days=days_ago)
        RequestTransition.objects.create(
            request=factories.request(factories.person(), at=created, state=to_state),
            from_state="processing",
            to_state=to_state,
            at=created + timedelta(minutes=minutes),
            actor="system",
        )
    times = processing_times(now)
    # Four finished this month (not the one 40 days ago, not the failed one): the lower of
    # the two middle values, and the nearest-rank p95 is the largest.
    assert (times.count, times.median, times.p95) == (
        4,
        timedelta(minutes=15),
        timedelta(minutes=35),
    )
