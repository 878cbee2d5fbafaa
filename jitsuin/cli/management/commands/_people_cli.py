"""`jitsuin user deactivate|reactivate UID` and `jitsuin user import FILE` (called by user.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jitsuin.cli.management.commands._lifecycle_cli import cli_actor, fail
from jitsuin.lifecycle import leavers, people_import
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Person

ACTIONS = ("deactivate", "reactivate", "import")


def add_parsers(sub: Any) -> None:
    deactivate = sub.add_parser(
        "deactivate",
        help="a person left: inactive now, certificates revoked after JITSUIN_LEAVER_GRACE_DAYS",
    )
    deactivate.add_argument("uid")
    deactivate.add_argument("--reason", default="", help="why (kept in the audit log)")
    reactivate = sub.add_parser(
        "reactivate",
        help="a person is back: active again; within the grace the revocation is cancelled",
    )
    reactivate.add_argument("uid")
    bulk = sub.add_parser(
        "import",
        help="people from a CSV file (UTF-8 or cp932/Excel); nothing changes if a line is wrong",
    )
    bulk.add_argument("file", type=Path)
    bulk.add_argument("--dry-run", action="store_true", help="check and summarise, change nothing")
    bulk.add_argument("--encoding", choices=people_import.ENCODINGS, default="auto")
    bulk.add_argument(
        "--max-bytes", type=int, default=people_import.MAX_BYTES, help=argparse.SUPPRESS
    )
    bulk.add_argument(
        "--max-rows", type=int, default=people_import.MAX_ROWS, help=argparse.SUPPRESS
    )


def _person(uid: str) -> Person:
    person = Person.objects.filter(uid=uid).first()
    if person is None:
        raise CommandError(f"no person with uid {uid!r}")
    return person


def handle(command: Any, options: dict[str, Any]) -> None:
    action = options["action"]
    try:
        if action == "deactivate":
            _deactivate(command, _person(options["uid"]), options["reason"])
        elif action == "reactivate":
            _reactivate(command, _person(options["uid"]))
        else:
            _import(command, options)
    except LifecycleError as exc:
        raise fail(exc) from exc


def _deactivate(command: Any, person: Person, reason: str) -> None:
    leaver = leavers.deactivate(person, actor=cli_actor(), reason=reason)
    if leaver.state == "done":
        command.stdout.write(f"deactivated {person.uid}; its certificates are being revoked")
    else:
        until = timezone.localtime(leaver.grace_ends_at)
        command.stdout.write(
            f"deactivated {person.uid}; its certificates are revoked at {until:%Y-%m-%d %H:%M %Z}"
            f" unless reactivated before"
        )


def _reactivate(command: Any, person: Person) -> None:
    was_active = person.active
    cancelled = leavers.reactivate(person, actor=cli_actor())
    if cancelled is not None:
        command.stdout.write(f"reactivated {person.uid}; the pending revocation was cancelled")
    elif was_active:
        command.stdout.write(f"{person.uid} is active already")
    else:
        command.stdout.write(
            f"reactivated {person.uid}; its certificates stay revoked (it may request new ones)"
        )


def _import(command: Any, options: dict[str, Any]) -> None:
    path: Path = options["file"]
    try:
        people_import.check_size(path.stat().st_size, max_bytes=options["max_bytes"])
        text, encoding = people_import.decode(
            path.read_bytes(), options["encoding"], max_rows=options["max_rows"]
        )
        summary = people_import.Summary(encoding=encoding)
        total = max(text.count("\n"), 1)
        with _progress() as progress:
            task = progress.add_task("checking", total=total)
            rows = people_import.read_rows(text, summary, tick=lambda: progress.advance(task))
            progress.update(task, completed=total)
            if not summary.errors:
                people_import.plan(rows, summary)
            if not summary.errors and not options["dry_run"]:
                applying = progress.add_task("applying", total=len(rows))
                people_import.apply(
                    rows, actor=cli_actor(), tick=lambda: progress.advance(applying)
                )
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    except people_import.ImportRefused as exc:
        raise CommandError(f"{path}: {exc}") from exc
    lines = summary.lines()
    if options["dry_run"]:
        lines.insert(0, "dry run: nothing was changed")
    if summary.errors:
        command.stdout.write("\n".join(lines))
        raise CommandError(f"{len(summary.errors)} line(s) with errors: nothing was imported")
    command.stdout.write("\n".join(lines))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
