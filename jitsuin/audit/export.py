"""Reading the audit log out: filters shared by the console and the CLI, CSV and JSON lines.

Exports carry each event's ``prev_hash`` and ``hash``, so an exported file can be checked
against the chain later (``jitsuin.audit.chain.verify_chain`` walks the same fields).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.db.models import Q, QuerySet

from jitsuin.audit.models import AuditEvent

COLUMNS = ("id", "at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


@dataclass(frozen=True)
class AuditFilter:
    """What a reader asks for; empty fields do not filter."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    text: str = ""

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.since:
            events = events.filter(at__gte=self.since)
        if self.until:
            events = events.filter(at__lt=self.until)
        if self.actor:
            events = events.filter(actor=self.actor)
        if self.action:
            # "request." matches every request action; a full name matches exactly.
            if self.action.endswith("."):
                events = events.filter(action__startswith=self.action)
            else:
                events = events.filter(action=self.action)
        if self.object_type:
            events = events.filter(object_type=self.object_type)
        if self.object_id:
            events = events.filter(object_id=self.object_id)
        if self.text:
            events = events.filter(
                Q(actor__icontains=self.text)
                | Q(action__icontains=self.text)
                | Q(object_id=self.text)
            )
        return events


def events(selection: AuditFilter | None = None) -> QuerySet[AuditEvent]:
    """Events in chain order (oldest first), filtered."""
    return (selection or AuditFilter()).apply(AuditEvent.objects.order_by("id"))


def as_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _iterate(rows: Iterable[AuditEvent]) -> Iterator[AuditEvent]:
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=2000)
    return iter(rows)


def write_jsonl(rows: Iterable[AuditEvent], out: IO[str]) -> int:
    """One JSON object per line (UTF-8, Japanese kept as is); returns the count."""
    count = 0
    for event in _iterate(rows):
        out.write(json.dumps(as_row(event), ensure_ascii=False, sort_keys=True, default=str))
        out.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[AuditEvent], out: IO[str], *, header: bool = True) -> int:
    """CSV (with a header unless told); ``data`` is a JSON string in its column; the count."""
    writer = csv.writer(out)
    if header:
        writer.writerow(COLUMNS)
    count = 0
    for event in _iterate(rows):
        row = as_row(event)
        row["data"] = json.dumps(row["data"], ensure_ascii=False, sort_keys=True, default=str)
        writer.writerow([_safe_cell(row[c]) for c in COLUMNS])
        count += 1
    return count


def _safe_cell(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ is kept as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
