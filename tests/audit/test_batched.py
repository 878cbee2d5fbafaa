"""audit.batched: the events of a block appended at once make the chain one by one would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from jitsuin.audit.chain import event_fields, event_hash
from jitsuin.audit.keys import chain_key
from jitsuin.audit.models import AuditChainHead, AuditEvent
from jitsuin.audit.services import batched, record, verify

pytestmark = pytest.mark.django_db

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def test_a_batch_appends_its_events_in_order_and_the_chain_verifies():
    with transaction.atomic():
        record("before", data={"n": 0}, at=AT)
    with transaction.atomic(), batched():
        for n in range(1, 6):
            record("batched", actor="user:alice", data={"n": n, "text": "発行"}, at=AT)
        with batched():  # a nested block joins the outer one
            record("nested", data={"n": 6}, at=AT)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.data["n"] for e in events] == list(range(7))
    assert [e.action for e in events] == ["before"] + ["batched"] * 5 + ["nested"]
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
        assert event.hash == event_hash(key=chain_key(), **event_fields(event))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.count, head.last_hash) == (7, events[-1].hash)
    assert verify() is None


def test_a_batch_is_one_append_whatever_its_size():
    with transaction.atomic():
        record("warm.up", at=AT)
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), batched():
        for n in range(20):
            record("counted", data={"n": n}, at=AT)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"))
    ]
    expected = {"postgresql": 2, "sqlite": 3}.get(connection.vendor, 20 * 5)
    assert len(statements) <= expected, statements
    assert AuditEvent.objects.filter(action="counted").count() == 20
    assert verify() is None


def test_an_exception_discards_the_batch_with_its_transaction():
    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        record("lost", at=AT)
        raise RuntimeError("rolled back")
    assert not AuditEvent.objects.exists()
    with transaction.atomic(), batched():
        record("kept", at=AT)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["kept"]
    assert verify() is None


def test_floats_on_postgresql_and_naive_times_still_make_one_chain():
    with transaction.atomic(), batched():
        record("float", data={"ratio": 1e20}, at=AT)
        record("plain", data={"n": 1}, at=AT)
    assert AuditEvent.objects.count() == 2
    assert verify() is None


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_batched_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError), batched():
        pass
