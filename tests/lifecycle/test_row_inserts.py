"""jitsuin.row_inserts: one multi-row INSERT, the same rows as Django's bulk_create."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from jitsuin.lifecycle.models import Person, RequestTransition
from jitsuin.lifecycle.services import request_issue
from jitsuin.row_inserts import insert_rows
from tests.lifecycle.conftest import key

pytestmark = pytest.mark.django_db

AT = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def test_rows_get_their_keys_in_order_from_one_statement():
    people = [Person(uid=f"ri{i}", email=f"ri{i}@example.ac.jp") for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(people)
    assert len(queries) == 1
    assert all(not p._state.adding for p in people)
    stored = dict(Person.objects.filter(uid__startswith="ri").values_list("uid", "pk"))
    assert stored == {p.uid: p.pk for p in people}
    assert Person.objects.get(uid="ri3").email == "ri3@example.ac.jp"


@pytest.fixture
def profile_request(profile, alice, t0):  # type: ignore[no-untyped-def]
    return request_issue(alice, actor="t", idempotency_key=key(), now=t0)


def test_values_are_prepared_by_their_fields_as_bulk_create_does(profile_request):
    mine = RequestTransition(
        request=profile_request, from_state="", to_state="queued", at=AT, actor="t", note="n"
    )
    django = RequestTransition(
        request=profile_request, from_state="", to_state="queued", at=AT, actor="t", note="n"
    )
    insert_rows([mine])
    RequestTransition.objects.bulk_create([django])
    fields = ("request_id", "from_state", "to_state", "at", "actor", "note")
    a, b = (RequestTransition.objects.values(*fields).get(pk=r.pk) for r in (mine, django))
    assert a == b and a["at"] == AT


def test_rows_with_their_own_keys_and_json(db):
    row = DBTaskResult(
        id="00000000-0000-0000-0000-000000000001",
        args_kwargs={"args": [1, "ü"], "kwargs": {}},
        task_path="x.y",
        queue_name="q",
        backend_name="default",
        priority=0,
        run_after=AT,
    )
    insert_rows([row])
    stored = DBTaskResult.objects.get()
    assert stored.args_kwargs == {"args": [1, "ü"], "kwargs": {}}
    assert stored.enqueued_at is not None  # auto_now_add, as save() sets it


def test_nothing_to_insert_is_no_statement():
    with CaptureQueriesContext(connection) as queries:
        insert_rows([])
    assert len(queries) == 0


def _prepared(prepare, field, value):  # type: ignore[no-untyped-def]
    try:
        # repr: PostgreSQL's adapters (Binary, Jsonb) do not compare equal to themselves
        return ("value", repr(prepare(field, value)))
    except (TypeError, ValueError, ValidationError) as exc:
        return ("error", type(exc))


def test_db_value_is_what_the_field_would_prepare(db):
    from jitsuin.audit.models import AuditEvent
    from jitsuin.lifecycle.models import Certificate, Request
    from jitsuin.notify.models import OutboxMessage
    from jitsuin.row_inserts import db_value

    values = ("", "ü text", "12", 0, 7, -3, 2**40, None, True, 1.5, AT, {"a": 1})
    for model in (Person, Request, RequestTransition, Certificate, OutboxMessage, AuditEvent):
        for field in model._meta.concrete_fields:
            for value in values:
                ours = _prepared(lambda f, v: db_value(f, v, connection), field, value)
                django = _prepared(lambda f, v: f.get_db_prep_save(v, connection), field, value)
                assert ours == django, (model.__name__, field.name, value)


def test_several_rows_are_stored_as_bulk_create_stores_them(profile_request):
    """On PostgreSQL several rows go as one array per column (UNNEST), as Django 5.2's
    bulk_create sends them: the same values come back, JSON, NULL and text included."""
    from jitsuin.audit.models import AuditEvent

    def events(tag: str) -> list[AuditEvent]:
        return [
            AuditEvent(
                at=AT, actor="t", action=f"{tag}.{i}", object_type="", object_id=str(i),
                data={"n": i, "ü": [None, "x"]} if i else {}, prev_hash="p", hash=f"{tag}{i}",
            )
            for i in range(3)
        ]  # fmt: skip

    mine, django = events("mine"), events("django")
    with CaptureQueriesContext(connection) as queries:
        insert_rows(mine)
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert "UNNEST(" in queries[0]["sql"]
    AuditEvent.objects.bulk_create(django)
    fields = ("at", "actor", "object_type", "object_id", "data", "prev_hash")
    for a, b in zip(mine, django, strict=True):
        assert a.pk is not None and b.pk is not None
        stored = AuditEvent.objects.values(*fields).get(pk=a.pk)
        assert stored == AuditEvent.objects.values(*fields).get(pk=b.pk)
    assert AuditEvent.objects.get(pk=mine[1].pk).data == {"n": 1, "ü": [None, "x"]}
