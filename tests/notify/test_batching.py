"""notify.batching: a block's e-mails are inserted in one statement, audited, and sent by one
task; a key already in the outbox is still sent only once."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.notify.batching import batched
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.services import enqueue
from jitsuin.notify.tasks import send_messages
from tests.notify import factories

pytestmark = pytest.mark.django_db(transaction=True)  # the send task is queued on commit

CONTEXT = {"request_id": 1, "kind": "issue", "created_at": None}


def test_a_batch_is_one_insert_one_audit_append_and_one_send_task():
    people = [factories.person(f"s25990{i:02}") for i in range(10)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), batched():
        made = [
            enqueue("request_received", person=p, key=f"received:{p.uid}", context=CONTEXT)
            for p in people
        ]
        assert all(m.pk is None for m in made)  # inserted at the block's end
    inserts = [q for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    outbox = [q for q in inserts if "notify_outboxmessage" in q["sql"]]
    assert len(outbox) == (1 if connection.vendor in ("sqlite", "postgresql") else 10)
    assert all(m.pk is not None for m in made)
    assert OutboxMessage.objects.count() == 10
    assert AuditEvent.objects.filter(action="notify.enqueued").count() == 10
    tasks = DBTaskResult.objects.filter(task_path=send_messages.module_path)
    assert tasks.count() == 1
    assert sorted(tasks.get().args_kwargs["args"][0]) == sorted(m.pk for m in made)
    assert verify() is None
    # The task sends each one as send_message would, and a second run sends none again.
    ids = [m.pk for m in made]
    assert send_messages.call(ids) == ["sent"] * 10
    assert send_messages.call(ids) == ["skipped"] * 10


def test_a_key_already_in_the_outbox_is_not_made_twice():
    alice, bob = factories.person("s2599101"), factories.person("s2599102")
    with transaction.atomic():
        first = enqueue("request_received", person=alice, key="received:alice", context=CONTEXT)
    with transaction.atomic(), batched():
        enqueue(
            "request_received",
            person=alice,
            key="received:alice",
            context=CONTEXT,
            likely_new=True,  # wrongly: the insert itself refuses the second one
        )
        enqueue("request_received", person=bob, key="received:bob", context=CONTEXT)
    assert list(OutboxMessage.objects.order_by("id").values_list("key", flat=True)) == [
        "received:alice",
        "received:bob",
    ]
    assert OutboxMessage.objects.get(key="received:alice").pk == first.pk
    assert AuditEvent.objects.filter(action="notify.enqueued").count() == 2
