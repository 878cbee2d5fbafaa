"""Smaller console defects from the operator walk: the maintenance connector is chosen and a
running window says how many wait; the audit object filter takes a type with the id, and
event data is in local time; a resend shows the body, warns about a collected pickup and is
marked in the list (who, when, why)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.lifecycle.models import MaintenanceWindow, Pickup
from jitsuin.notify.models import OutboxMessage
from tests.notify import factories

pytestmark = pytest.mark.django_db


def _page(client, url, **params):
    client.cookies["jitsuin_lang"] = "ja"
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def _window(**fields):
    return {
        "starts_at": "2030-01-10T09:00",
        "ends_at": "2030-01-10T18:00",
        "scope": "both",
        "note_ja": "",
        "note_en": "",
        "reason": "r",
        **fields,
    }


def test_the_connector_is_chosen_from_those_that_exist(operator):
    page = _page(operator, reverse("console:maintenance")).content.decode()
    assert '<select name="connector"' in page and '<option value="builtin"' in page
    refused = operator.post(reverse("console:maintenance"), _window(connector="bultin"))
    assert refused.status_code == 200 and not MaintenanceWindow.objects.exists()
    assert refused.context["form"].errors["connector"]
    operator.post(reverse("console:maintenance"), _window(connector="builtin"))
    assert MaintenanceWindow.objects.get().connector == "builtin"


def test_a_running_window_says_in_progress_and_how_many_wait(operator, ca_hierarchy):
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=30)
    )
    later = MaintenanceWindow.objects.create(
        starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1)
    )
    for uid in ("s0101", "s0104"):
        factories.request(
            factories.person(uid),
            at=now,
            state="waiting",
            wait_reason="maintenance",
            not_before=window.ends_at,
        )
    factories.request(factories.person("s0105"), at=now, state="waiting", wait_reason="policy")
    response = _page(operator, reverse("console:maintenance"))
    rows = {r["window"].pk: r for r in response.context["windows"]}
    assert rows[window.pk]["phase"] == "running" and rows[window.pk]["waiting"] == 2
    assert rows[later.pk]["phase"] == "scheduled"
    assert "実施中 · 2 件が待機中" in response.content.decode()


def test_the_object_filter_takes_the_type_with_the_id(operator, ca_hierarchy):
    holder = factories.person("s0102")
    request = factories.request(holder, at=timezone.now())
    with transaction.atomic():
        record("request.issue.created", actor="user:a", obj=request)
        record("person.updated", actor="user:a", obj=holder)
    # Same id, two object types: without a type the page asks for one.
    url = reverse("console:audit")
    alone = _page(operator, url, object_id=str(request.pk))
    assert alone.context["form"].errors["object_type"]
    typed = _page(operator, url, object_type="lifecycle.request", object_id=str(request.pk))
    assert [e.action for e in typed.context["page"]] == ["request.issue.created"]
    pasted = _page(operator, url, object_id=f"lifecycle.person:{holder.pk}")
    assert [e.action for e in pasted.context["page"]] == ["person.updated"]


def test_audit_data_times_are_shown_in_local_time(operator):
    with transaction.atomic():
        record("campaign.created", actor="user:a", data={"deadline": "2026-12-03T10:51:00+00:00"})
    page = _page(operator, reverse("console:audit")).content.decode()
    assert "2026-12-03T19:51:00+09:00" in page and "10:51:00+00:00" not in page


@pytest.fixture
def ready_email(ca_hierarchy):
    holder = factories.person("s0103")
    certificate = factories.issue(holder, at=timezone.now())
    return OutboxMessage.objects.get(key=f"ready:{certificate.pk}"), certificate


def test_resend_shows_the_body_and_warns_when_the_pickup_was_collected(helpdesk, ready_email):
    message, certificate = ready_email
    url = reverse("console:resend", args=[message.pk])
    page = _page(helpdesk, url)
    assert page.context["collected"] is None
    assert message.body.splitlines()[0] in page.content.decode()
    Pickup.objects.filter(certificate=certificate).update(
        download_count=1, first_downloaded_at=timezone.now()
    )
    page = _page(helpdesk, url).content.decode()
    assert 'data-testid="pickup-collected"' in page


def test_a_resend_is_marked_with_who_when_and_why(helpdesk, ready_email):
    message, _certificate = ready_email
    url = reverse("console:resend", args=[message.pk])
    helpdesk.post(url, {"reason": "届いていないとの連絡"})
    copy = OutboxMessage.objects.get(resend_of=message)
    event = AuditEvent.objects.get(action="notify.resent")
    assert event.actor == "staff:hd1" and event.object_id == str(copy.pk)
    listing = _page(helpdesk, reverse("console:outbox")).content.decode()
    assert f'data-testid="resend-mark-{copy.pk}"' in listing
    assert "staff:hd1" in listing and "届いていないとの連絡" in listing
    again = _page(helpdesk, url).content.decode()
    assert 'data-testid="earlier-resends"' in again and "届いていないとの連絡" in again


def test_resend_needs_a_reason(helpdesk, ready_email):
    message, _certificate = ready_email
    helpdesk.post(reverse("console:resend", args=[message.pk]), {"reason": ""})
    assert not OutboxMessage.objects.filter(resend_of=message).exists()
