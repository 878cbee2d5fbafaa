"""The state table: every allowed transition works and is recorded; the rest are refused."""

from __future__ import annotations

import pytest
from django.db import transaction

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import transitions
from jitsuin.lifecycle.errors import InvalidState
from jitsuin.lifecycle.models import Request, RequestKind, RequestState, RequestTransition
from tests.lifecycle.conftest import T0, key, make_person

ALL_STATES = [s for s in RequestState.values]
CASES = [
    (kind, src, dst)
    for kind, table in transitions.TABLE.items()
    for src in table
    if src
    for dst in ALL_STATES
]


def _request_in(kind: str, state: str, profile) -> Request:
    person = make_person(f"p{key()}")
    target = None
    if kind == RequestKind.REVOKE:
        from tests.lifecycle.test_permissions import certificate_for

        target = certificate_for(person, profile)
    return Request.objects.create(
        kind=kind,
        person=person,
        profile=profile,
        target=target,
        state=state,
        state_changed_at=T0,
        created_at=T0,
        requested_by="test",
        idempotency_key=key(),
    )


@pytest.mark.parametrize(("kind", "src", "dst"), CASES, ids=[f"{k}:{s}->{d}" for k, s, d in CASES])
def test_state_table(profile, kind, src, dst):
    request = _request_in(kind, src, profile)
    with transaction.atomic():
        if transitions.allowed(kind, src, dst):
            row = transitions.transition(request, dst, actor="test", now=T0, note="why")
            assert row.state == dst and row.state_changed_at == T0
            step = RequestTransition.objects.get(request=request)
            assert (step.from_state, step.to_state, step.actor, step.note) == (
                src,
                dst,
                "test",
                "why",
            )
            event = AuditEvent.objects.get(
                object_type="lifecycle.request", object_id=str(request.pk)
            )
            assert event.action == f"request.{kind}.{dst}" and event.data["from"] == src
        else:
            with pytest.raises(InvalidState):
                transitions.transition(request, dst, actor="test", now=T0)
            assert Request.objects.get(pk=request.pk).state == src
            assert not RequestTransition.objects.filter(request=request).exists()


def test_terminal_states_have_no_way_out():
    assert {"collected", "done", "cancelled", "expired"} <= set(transitions.TERMINAL)


def test_transition_outside_a_transaction_is_a_programming_error(profile, django_db_blocker):
    request = _request_in(RequestKind.ISSUE, RequestState.QUEUED, profile)
    # pytest-django wraps each test in a transaction; leave it to check the guard.
    from django.db import connection

    atomic = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            transitions.transition(request, RequestState.CANCELLED, actor="test")
    finally:
        connection.in_atomic_block = atomic
