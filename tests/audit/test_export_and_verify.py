"""`jitsuin audit verify` finds tampering done straight in the database; exports are complete."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from jitsuin.audit.export import AuditFilter, events, write_csv, write_jsonl
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record

pytestmark = pytest.mark.django_db


def make_events(n: int = 5) -> list[AuditEvent]:
    made = []
    for i in range(n):
        with transaction.atomic():
            made.append(
                record(
                    "request.retried" if i % 2 else "notify.sent",
                    actor=f"user:helpdesk{i % 2}",
                    data={"reason": f"理由 {i}", "n": i},
                )
            )
    return made


def verify_output() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_verify_passes_on_an_untouched_log():
    make_events()
    assert "OK: 5 events" in verify_output()


def test_verify_fails_after_a_row_is_changed_in_the_database():
    made = make_events()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor = %s WHERE id = %s", ["user:mallory", made[2].pk]
        )
    with pytest.raises(CommandError, match=f"BROKEN at event {made[2].pk}: content does not match"):
        verify_output()


def test_verify_fails_after_a_row_is_deleted_in_the_database():
    made = make_events()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [made[1].pk])
    with pytest.raises(CommandError, match=f"BROKEN at event {made[2].pk}: previous hash"):
        verify_output()


def test_verify_fails_after_the_newest_row_is_deleted():
    made = make_events()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [made[-1].pk])
    with pytest.raises(CommandError, match="newest were deleted"):
        verify_output()


def test_jsonl_export_carries_every_field_and_japanese_text(tmp_path):
    make_events(3)
    target = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--format", "jsonl", "-o", str(target), stderr=io.StringIO())
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["data"]["reason"] for row in lines] == ["理由 0", "理由 1", "理由 2"]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert "理由" in target.read_text(encoding="utf-8")


def test_csv_export_filters_by_actor_and_action_prefix():
    make_events(6)
    out = io.StringIO()
    call_command(
        "audit",
        "export",
        "--format",
        "csv",
        "--actor",
        "user:helpdesk1",
        "--event",
        "request.",
        stdout=out,
        stderr=io.StringIO(),
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 3
    assert {r["action"] for r in rows} == {"request.retried"}
    assert json.loads(rows[0]["data"])["n"] == 1


def test_csv_cells_that_look_like_formulas_stay_text():
    with transaction.atomic():
        record("x.y", actor="=HYPERLINK(1)")
    out = io.StringIO()
    write_csv(events(AuditFilter(action="x.y")), out)
    assert "'=HYPERLINK(1)" in out.getvalue()
    again = io.StringIO()
    assert write_jsonl(events(), again) == 1
