"""Staff on a request the upstream holds: ask it again now, or send the order again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import interventions
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import RequestState
from jitsuin.lifecycle.pipeline import advance
from jitsuin.lifecycle.services import request_issue
from tests.chaos.connector import chaos
from tests.lifecycle.conftest import key

pytestmark = pytest.mark.django_db


def pending_at_upstream(alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    assert advance(request.pk, worker_id="w", now=t0) == "pending"
    request.refresh_from_db()
    assert interventions.at_upstream(request, t0)
    return request


def test_repoll_now_makes_the_next_poll_due_at_once(profile, alice, t0):
    with chaos(delay=timedelta(hours=2)):
        request = pending_at_upstream(alice, t0)
        later = t0 + timedelta(minutes=30)
        assert advance(request.pk, worker_id="w", now=later) == "not_due"
        interventions.repoll_now(request, actor="staff:hd1", reason="user called", now=later)
        request.refresh_from_db()
        assert request.not_before == later and request.connector_ref
        # The poll runs now instead of in an hour and a half; the upstream still works on it.
        assert advance(request.pk, worker_id="w", now=later) == "pending"
    event = AuditEvent.objects.get(action="request.issue.repolled")
    assert event.actor == "staff:hd1" and event.data["reason"] == "user called"


def test_retry_at_the_upstream_submits_again_and_keeps_the_old_reference(profile, alice, t0):
    with chaos(delay=timedelta(hours=2)):
        request = pending_at_upstream(alice, t0)
        old_ref = request.connector_ref
        later = t0 + timedelta(minutes=30)
        interventions.retry_request(request, actor="staff:hd1", reason="lost upstream", now=later)
        request.refresh_from_db()
        assert request.state == RequestState.WAITING and not request.connector_ref
        assert request.attempts == 0
        assert advance(request.pk, worker_id="w", now=later) == "pending"
    assert AuditEvent.objects.filter(action="request.issue.submitted").count() == 2
    moved = AuditEvent.objects.get(action="request.issue.waiting", actor="staff:hd1")
    assert moved.data["previous_ref"] == old_ref and moved.data["note"] == "lost upstream"


def test_repoll_and_retry_are_refused_when_the_request_is_not_at_the_upstream(profile, alice, t0):
    request = request_issue(alice, actor="user:alice", idempotency_key=key(), now=t0)
    with pytest.raises(InvalidState):
        interventions.repoll_now(request, actor="staff:hd1", now=t0)
    with pytest.raises(NotAllowed):
        interventions.retry_request(request, actor="staff:hd1", reason="", now=t0)


def test_a_worker_asking_now_holds_off_a_repoll(profile, alice, t0):
    with chaos(delay=timedelta(hours=2)):
        request = pending_at_upstream(alice, t0)
    request.lease_owner, request.lease_until = "w2", t0 + timedelta(minutes=5)
    request.save(update_fields=["lease_owner", "lease_until"])
    assert not interventions.at_upstream(request, t0)
    with pytest.raises(InvalidState):
        interventions.repoll_now(request, actor="staff:hd1", now=t0)
