"""The stuck list as a work queue: who handles a request, snoozes, the last action, the
upstream case (re-poll now, send again) and what a retry leaves on the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.console import stuck
from jitsuin.console.models import StuckClaim
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import WAIT_UPSTREAM, Request, RequestTransition
from tests.notify import factories
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db

OLD = timedelta(days=20)


def old_request(**fields):
    person = factories.person(affiliation=fields.pop("affiliation", "工学部"))
    return factories.request(person, at=timezone.now() - OLD, **fields)


def at_upstream():
    return old_request(
        state="processing",
        wait_reason=WAIT_UPSTREAM,
        connector_ref="up-42",
        not_before=timezone.now() + timedelta(hours=6),
    )


def stuck_page(client, **params):
    return client.get(reverse("console:stuck"), params, HTTP_ACCEPT_LANGUAGE="ja")


def post(client, name, item, data=None):
    return client.post(reverse(name, args=[item.pk]), data or {})


def test_rows_show_the_persons_name_and_affiliation(helpdesk):
    item = old_request(affiliation="理工学研究科")
    page = stuck_page(helpdesk).content.decode()
    assert item.person.name_ja in page and "理工学研究科" in page
    assert "所属" in page


def test_claim_shows_who_handles_it_and_another_claim_is_refused_with_the_name(helpdesk):
    item = old_request()
    assert post(helpdesk, "console:stuck_claim", item).status_code == 302
    row = stuck_page(helpdesk).context["rows"][0]
    assert row.claim.holder == "staff:hd1" and row.holder == "hd1"
    assert "hd1 が対応中" in stuck_page(helpdesk).content.decode()

    colleague = sign_in(staff("hd2", "helpdesk"))
    refused = colleague.post(
        reverse("console:stuck_claim", args=[item.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "hd1 is handling this request since" in refused.content.decode()
    assert StuckClaim.objects.get(request=item).holder == "staff:hd1"

    colleague.post(reverse("console:stuck_claim", args=[item.pk]), {"take_over": "1"})
    assert StuckClaim.objects.get(request=item).holder == "staff:hd2"
    event = AuditEvent.objects.get(action="stuck.taken_over")
    assert event.actor == "staff:hd2" and event.data["from"] == "staff:hd1"
    assert event.object_id == str(item.pk)


def test_release_by_the_holder_or_by_another_with_a_reason(helpdesk):
    item = old_request()
    stuck.claim(item, actor="staff:hd2")
    post(helpdesk, "console:stuck_release", item)  # someone else's, no reason: refused
    assert StuckClaim.objects.get(request=item).holder == "staff:hd2"
    post(helpdesk, "console:stuck_release", item, {"reason": "hd2 is on leave"})
    assert StuckClaim.objects.get(request=item).holder == ""
    event = AuditEvent.objects.get(action="stuck.released")
    assert event.data == {"holder": "staff:hd2", "reason": "hd2 is on leave"}

    post(helpdesk, "console:stuck_claim", item)
    post(helpdesk, "console:stuck_release", item)  # one's own: no reason needed
    assert StuckClaim.objects.get(request=item).holder == ""
    with pytest.raises(InvalidState):
        stuck.release(item, actor="staff:hd1")


def test_snoozed_rows_are_hidden_unless_asked_and_the_snooze_ends_by_itself(helpdesk):
    item, other = old_request(), old_request()
    until = timezone.localtime() + timedelta(hours=2)
    response = post(
        helpdesk,
        "console:stuck_snooze",
        item,
        {"until": until.strftime("%Y-%m-%dT%H:%M"), "note": "waiting for the reply"},
    )
    assert response.status_code == 302
    page = stuck_page(helpdesk)
    assert [r.item.pk for r in page.context["rows"]] == [other.pk]
    assert page.context["snoozed_count"] == 1
    shown = stuck_page(helpdesk, snoozed="1")
    assert [r.item.pk for r in shown.context["rows"]] == [item.pk, other.pk]
    assert "waiting for the reply" in shown.content.decode()
    assert AuditEvent.objects.get(action="stuck.snoozed").data["note"] == ("waiting for the reply")
    # The time passes: the row is back without anyone doing anything.
    StuckClaim.objects.filter(request=item).update(
        snoozed_until=timezone.now() - timedelta(minutes=1)
    )
    assert len(stuck_page(helpdesk).context["rows"]) == 2
    with pytest.raises(InvalidState):
        stuck.wake(item, actor="staff:hd1")


def test_snooze_needs_a_note_and_a_future_time(helpdesk):
    item = old_request()
    with pytest.raises(NotAllowed):
        stuck.snooze(item, actor="staff:hd1", until=timezone.now() + OLD, note="")
    with pytest.raises(NotAllowed):
        stuck.snooze(item, actor="staff:hd1", until=timezone.now() - OLD, note="x")
    post(helpdesk, "console:stuck_snooze", item, {"until": "", "note": "x"})
    assert not StuckClaim.objects.filter(request=item, snoozed_until__isnull=False).exists()


def test_wake_ends_a_snooze_now(helpdesk):
    item = old_request()
    stuck.snooze(item, actor="staff:hd1", until=timezone.now() + OLD, note="n")
    post(helpdesk, "console:stuck_wake", item)
    assert not StuckClaim.objects.get(request=item).snoozed(timezone.now())
    assert AuditEvent.objects.filter(action="stuck.woken", actor="staff:hd1").exists()


def test_the_last_action_and_who_did_it(helpdesk):
    item = old_request()
    stuck.claim(item, actor="staff:hd2")
    row = stuck_page(helpdesk).context["rows"][0]
    assert str(row.last_action) == "対応開始" and row.last_actor == "hd2"
    assert row.last_at is not None


def test_two_queries_for_the_rows_however_many(helpdesk):
    # The queue's entries (counts, pages), then the shown rows: one query each.
    from jitsuin.console.stuck_queue import stuck_entries, stuck_rows

    def stuck_queue(now, days):  # type: ignore[no-untyped-def]
        return stuck_rows(stuck_entries(now, days), now)

    old_request()
    with CaptureQueriesContext(connection) as one:
        stuck_queue(timezone.now(), 3)
    for _ in range(4):
        item = old_request()
        stuck.claim(item, actor="staff:hd1")
        stuck.snooze(item, actor="staff:hd1", until=timezone.now() + OLD, note="n")
    at_upstream()
    with CaptureQueriesContext(connection) as many:
        rows = stuck_queue(timezone.now(), 3)
        # everything the template reads
        shown = [(r.name, r.holder, r.item.profile.slug, r.item.person.affiliation) for r in rows]
    assert len(shown) == 6
    assert len(many) == len(one) == 2


def test_the_page_costs_a_fixed_number_of_queries(helpdesk, django_assert_max_num_queries):
    stuck_page(helpdesk)  # warm the session and permission caches
    for _ in range(6):
        stuck.claim(old_request(), actor="staff:hd2")
    with django_assert_max_num_queries(12):
        assert len(stuck_page(helpdesk).context["rows"]) == 6


def test_repoll_now_asks_the_upstream_at_once(helpdesk, django_capture_on_commit_callbacks):
    item = at_upstream()
    page = stuck_page(helpdesk).content.decode()
    assert f'data-testid="repoll-{item.pk}"' in page and f'data-testid="retry-{item.pk}"' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(helpdesk, "console:repoll", item)
    item.refresh_from_db()
    assert item.not_before <= timezone.now() and item.connector_ref == "up-42"
    assert len(callbacks) == 1  # the pipeline is asked now
    event = AuditEvent.objects.get(action="request.issue.repolled")
    assert event.actor == "staff:hd1" and event.data["ref"] == "up-42"


def test_repoll_is_refused_for_a_request_not_at_the_upstream(helpdesk):
    item = old_request(state="failed")
    post(helpdesk, "console:repoll", item)
    assert not AuditEvent.objects.filter(action__endswith="repolled").exists()
    assert f'data-testid="repoll-{item.pk}"' not in stuck_page(helpdesk).content.decode()


def test_retry_at_the_upstream_sends_the_order_again_and_the_row_says_so(helpdesk):
    item = at_upstream()
    post(helpdesk, "console:retry", item, {"reason": "upstream lost it"})
    item.refresh_from_db()
    assert item.state == "waiting" and item.connector_ref == "" and item.attempts == 0
    event = AuditEvent.objects.get(action="request.issue.waiting", actor="staff:hd1")
    assert event.data["previous_ref"] == "up-42"
    row = stuck_page(helpdesk).context["rows"][0]
    assert row.retried_by == "hd1" and row.retried_at is not None
    assert "hd1 が再試行" in stuck_page(helpdesk).content.decode()

    # The worker picks it up: it has moved on, so it leaves the list.
    RequestTransition.objects.create(
        request=item,
        from_state="waiting",
        to_state="processing",
        at=timezone.now() + timedelta(seconds=1),
        actor="system:worker",
    )
    Request.objects.filter(pk=item.pk).update(
        state="processing", state_changed_at=timezone.now() + timedelta(seconds=1)
    )
    assert stuck_page(helpdesk).context["rows"] == []


def test_a_retried_request_that_fails_again_is_back_on_the_list(helpdesk):
    item = old_request(state="failed", last_error="upstream said no")
    post(helpdesk, "console:retry", item, {"reason": "try again"})
    assert stuck_page(helpdesk).context["rows"][0].retried_by == "hd1"
    later = timezone.now() + timedelta(seconds=2)
    Request.objects.filter(pk=item.pk).update(state="failed", state_changed_at=later)
    rows = stuck_page(helpdesk).context["rows"]
    assert [r.item.pk for r in rows] == [item.pk]


def test_operator_cannot_claim_and_get_is_refused(operator, helpdesk):
    item = old_request()
    for name in ("console:stuck_claim", "console:stuck_snooze", "console:repoll"):
        assert post(operator, name, item).status_code == 403
        assert helpdesk.get(reverse(name, args=[item.pk])).status_code == 405
    assert not StuckClaim.objects.exists()
    # The operator still reads the queue, without the buttons.
    page = stuck_page(operator).content.decode()
    assert f'data-testid="claim-{item.pk}"' not in page


def test_the_forms_carry_a_csrf_token(helpdesk):
    old_request()
    page = stuck_page(helpdesk).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 4


def test_the_dashboard_counts_what_the_queue_shows(helpdesk):
    item, _other = old_request(), old_request()
    assert helpdesk.get(reverse("console:dashboard")).context["stuck_count"] == 2
    stuck.snooze(item, actor="staff:hd1", until=timezone.now() + OLD, note="n")
    assert helpdesk.get(reverse("console:dashboard")).context["stuck_count"] == 1


def test_the_request_page_offers_a_repoll_for_a_request_at_the_upstream(helpdesk):
    item = at_upstream()
    page = helpdesk.get(reverse("console:request", args=[item.pk])).content.decode()
    assert f'data-testid="repoll-{item.pk}"' in page and f'data-testid="retry-{item.pk}"' in page


def test_an_open_snooze_form_survives_the_refresh(helpdesk):
    item = old_request()
    live = stuck_page(helpdesk).content.decode()
    assert f'id="snooze-{item.pk}" hx-preserve="true"' in live


def test_only_retries_count_as_retries(helpdesk):
    waiting = old_request(state="waiting", wait_reason="retry")
    released = old_request(state="waiting", wait_reason="maintenance")
    post(helpdesk, "console:retry", waiting, {"reason": "now please"})
    RequestTransition.objects.create(
        request=released, from_state="waiting", to_state="queued", at=timezone.now(), actor="system"
    )
    Request.objects.filter(pk=released.pk).update(state="queued")
    rows = {r.item.pk: r for r in stuck_page(helpdesk).context["rows"]}
    assert rows[waiting.pk].retried_by == "hd1"
    assert rows[released.pk].retried_at is None
