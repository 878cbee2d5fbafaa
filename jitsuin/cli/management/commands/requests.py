"""`jitsuin requests [--state S] [--user UID]`: a table of requests."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from jitsuin.lifecycle.models import Request, RequestState


def table(requests: list[Request]) -> list[str]:
    rows = [("ID", "KIND", "STATE", "USER", "PROFILE", "CHANGED", "ATTEMPTS", "NOTE")]
    for r in requests:
        note = r.wait_reason or (r.last_error[:40] if r.last_error else "")
        changed = timezone.localtime(r.state_changed_at).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(
            (
                str(r.pk),
                r.kind,
                r.state,
                r.person.uid,
                r.profile.slug,
                changed,
                str(r.attempts),
                note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    help = "List requests, newest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--state", default="", choices=["", *RequestState.values])
        parser.add_argument("--user", default="")
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        requests = Request.objects.select_related("person", "profile").order_by(
            "-created_at", "-pk"
        )
        if options["state"]:
            requests = requests.filter(state=options["state"])
        if options["user"]:
            requests = requests.filter(person__uid=options["user"])
        for line in table(list(requests[: options["limit"]])):
            self.stdout.write(line)
