"""`jitsuin audit verify|checkpoint|public-key|export`: check the keyed hash chain and the
signed checkpoints; sign the head now; print the checkpoint public key; write the log as CSV
or JSON lines."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from jitsuin.audit import checkpoints, export
from jitsuin.audit.keys import checkpoint_signing_key, public_key_pem
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.config import current
from jitsuin.notify import audit_checkpoints


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
    help = (
        "Verify the audit log's keyed hash chain and signed checkpoints, write a checkpoint, "
        "print the checkpoint public key, or export the log as CSV or JSON lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        check = sub.add_parser(
            "verify",
            help="walk the chain and check every checkpoint; exit 1 and name the first problem",
        )
        check.add_argument(
            "--checkpoints",
            help="checkpoint log to check (default: audit-checkpoints.log of this instance)",
        )
        check.add_argument(
            "--public-key",
            help="PEM public key for the checkpoints (default: this instance's own key)",
        )
        sub.add_parser("checkpoint", help="sign the chain's head now and append it to the log")
        sub.add_parser("public-key", help="print the checkpoint public key (PEM)")
        out = sub.add_parser("export", help="write events (oldest first) as CSV or JSON lines")
        out.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        out.add_argument("--output", "-o", help="file to write (default: standard output)")
        out.add_argument("--since", help="from this date or time (local time unless given)")
        out.add_argument("--until", help="before this date or time")
        out.add_argument("--actor", default="", help="e.g. user:alice or system")
        out.add_argument("--event", default="", help="an action, or a prefix ending in '.'")
        out.add_argument("--object-id", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self.do_verify(options)
        elif action == "checkpoint":
            self.do_checkpoint()
        elif action == "public-key":
            self.stdout.write(public_key_pem().decode(), ending="")
        else:
            self.do_export(options)

    def do_verify(self, options: dict[str, Any]) -> None:
        total = AuditEvent.objects.count()
        problems = []
        broken = verify()
        if broken is not None:
            problems.append(f"BROKEN at {broken.describe()}")
        path = Path(options["checkpoints"]) if options["checkpoints"] else None
        report = checkpoints.verify(
            checkpoints.read(path or current().audit_checkpoint_path),
            _public_key(options["public_key"]),
        )
        if report.problem is not None:
            problems.append(f"CHECKPOINT MISMATCH at {report.problem}")
        if path is not None and report.checked == 0:
            problems.append(f"CHECKPOINT MISMATCH: {path} holds no checkpoints")
        if problems:
            # One line per problem, no traceback; exit status 1.
            raise CommandError("\n".join(problems))
        self.stdout.write(
            f"OK: {total} events, the hash chain is intact; {report.checked} checkpoints match"
        )

    def do_checkpoint(self) -> None:
        try:
            written = audit_checkpoints.checkpoint(timezone.now())
        except checkpoints.CheckpointRefused as exc:
            raise CommandError(f"no checkpoint written: {exc}") from None
        if written is None:
            self.stdout.write("nothing to checkpoint: the audit log is empty")
            return
        self.stdout.write(
            f"checkpoint: event {written.seq} hash {written.hash} "
            f"-> {current().audit_checkpoint_path}"
        )

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


def _public_key(path: str | None) -> Ed25519PublicKey:
    if not path:
        return checkpoint_signing_key().public_key()
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: not a readable PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CommandError(f"{path}: not an Ed25519 public key (see `jitsuin audit public-key`)")
    return key
