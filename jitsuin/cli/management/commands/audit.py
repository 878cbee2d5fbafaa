"""`jitsuin audit verify|export`: check the hash chain; write the log as CSV or JSON lines."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from jitsuin.audit import export
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(
                f"{text!r} is not a date (2026-05-01) or time (2026-05-01T09:00+09:00)"
            )
        value = datetime.combine(day, datetime.min.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or export it as CSV or JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        sub.add_parser("verify", help="walk the chain; exit 1 and name the first broken link")
        out = sub.add_parser("export", help="write events (oldest first) as CSV or JSON lines")
        out.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        out.add_argument("--output", "-o", help="file to write (default: standard output)")
        out.add_argument("--since", help="from this date or time (local time unless given)")
        out.add_argument("--until", help="before this date or time")
        out.add_argument("--actor", default="", help="e.g. user:alice or system")
        out.add_argument("--event", default="", help="an action, or a prefix ending in '.'")
        out.add_argument("--object-id", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.do_verify()
        else:
            self.do_export(options)

    def do_verify(self) -> None:
        total = AuditEvent.objects.count()
        broken = verify()
        if broken is None:
            self.stdout.write(f"OK: {total} events, the hash chain is intact")
            return
        where = f"event {broken.event_id}" if broken.event_id is not None else "end of the log"
        raise CommandError(f"BROKEN at {where}: {broken.reason}")

    def do_export(self, options: dict[str, Any]) -> None:
        selection = export.AuditFilter(
            since=_instant(options["since"]),
            until=_instant(options["until"]),
            actor=options["actor"],
            action=options["event"],
            object_id=options["object_id"],
        )
        rows = export.events(selection)
        writer = export.write_csv if options["format"] == "csv" else export.write_jsonl
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                count = writer(rows, handle)
            self.stderr.write(f"{count} events written to {options['output']}")
        else:
            self.stdout.ending = ""  # the writers end their own lines
            count = writer(rows, self.stdout)  # type: ignore[arg-type]
            self.stderr.write(f"{count} events written")
