"""The fast appends (PostgreSQL, SQLite) and the portable one make the same chain."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from jitsuin.audit import services
from jitsuin.audit.models import AuditChainHead, AuditEvent
from jitsuin.audit.services import record, verify

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_returned_event_is_the_stored_row():
    at = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=TOKYO)
    with transaction.atomic():
        event = record(
            "test.event",
            actor="user:alice",
            data={1: "int key", "text": "失効", "nested": [1, {"b": None, "a": True}]},
            at=at,
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.hash == event.hash
    assert stored.at == event.at == at
    assert (
        stored.data
        == event.data
        == {
            "1": "int key",
            "text": "失効",
            "nested": [1, {"b": None, "a": True}],
        }
    )
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_hash, head.count) == (event.hash, 1)
    assert verify() is None


def test_fast_and_portable_appends_interleave_into_one_chain(monkeypatch):
    portable: list[str] = []
    real = services._record_portable

    def spy(*args):  # type: ignore[no-untyped-def]
        portable.append(args[0])
        return real(*args)

    monkeypatch.setattr(services, "_record_portable", spy)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    with transaction.atomic():
        for n in range(3):
            record("fast", data={"n": n}, at=now)
            # naive times (and, on PostgreSQL, floats: jsonb may rewrite numbers) take the
            # portable path
            with pytest.warns(RuntimeWarning, match="naive datetime"):
                record("portable", data={"ratio": 1e20, "n": n}, at=now.replace(tzinfo=None))
    assert portable == ["portable"] * 3
    assert AuditEvent.objects.count() == 6
    assert AuditChainHead.objects.get(pk=1).count == 6
    assert verify() is None


def test_a_rolled_back_savepoint_leaves_no_hole_in_the_chain():
    with transaction.atomic():
        record("kept", data={"n": 1})
        try:
            with transaction.atomic():
                record("dropped", data={"n": 2})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        record("kept", data={"n": 3})
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["kept", "kept"]
    assert verify() is None


def test_a_fast_append_is_a_few_statements():
    with transaction.atomic():
        record("warm.up")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        record("counted", data={"n": 1})
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"))
    ]
    expected = {"postgresql": 2, "sqlite": 3}.get(connection.vendor)
    if expected is None:
        pytest.skip("portable path only on this database")
    assert len(statements) == expected, statements
    assert connection.vendor in services._APPENDERS


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_unbroken_chain():
    """Writers in parallel (threads with their own connections): ids follow the chain."""
    import threading

    from django.db import connections

    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(w: int) -> None:
        try:
            start.wait(10)
            for n in range(8):
                with transaction.atomic():
                    record("concurrent", actor=f"w{w}", data={"n": n})
                    record("concurrent.second", actor=f"w{w}", data={"n": n})
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert AuditEvent.objects.count() == 6 * 8 * 2
    assert AuditChainHead.objects.get(pk=1).count == 6 * 8 * 2
    assert verify() is None
