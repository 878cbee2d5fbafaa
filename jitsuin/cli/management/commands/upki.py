"""`jitsuin upki ...`: the national certificate service as this portal's CA (docs/upstream.md).

``check`` reaches the service with the officer's certificate and opens the mailbox;
``status`` says what waits where; ``exchange`` runs one round of the worker's job now.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from jitsuin.config import current
from jitsuin.config.upki import URL
from jitsuin.upki import jobs
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState, Mail, MailState
from jitsuin.upstream.client import UpstreamUnavailable


class Command(BaseCommand):
    help = "The national certificate service: check, status, exchange (docs/upstream.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        sub.add_parser(
            "check",
            help="log in with the officer's certificate, read the status list, open the mailbox",
        )
        sub.add_parser("status", help="applications by state, the last batches, unmatched mails")
        sub.add_parser(
            "exchange",
            help="one round now: send the batches due, read the mails, act on them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = current().upki
        if not config.enabled:
            raise CommandError(f"{URL} is not set: this portal does not use the national service")
        console = Console()
        if options["action"] == "check":
            self._check(console)
        elif options["action"] == "status":
            self._status(console)
        else:
            done = jobs.exchange(timezone.now())
            for part, what in done.items():
                console.print(f"{part}: {what}")

    def _check(self, console: Console) -> None:
        config = current().upki
        try:
            entries = jobs.client(config).status_list()
        except UpstreamUnavailable as exc:
            raise CommandError(f"{config.url}: {exc}") from exc
        console.print(f"{config.url}: signed in as the officer; {len(entries)} certificates listed")
        try:
            unread = jobs.mailbox(config).unread(1)
        except (OSError, ValueError) as exc:
            raise CommandError(f"JITSUIN_UPKI_MAILBOX {config.mailbox}: {exc}") from exc
        console.print(f"{config.mailbox}: opened ({'mail waiting' if unread else 'no new mail'})")

    def _status(self, console: Console) -> None:
        table = Table(title="Applications")
        for column in ("kind", "state", "count"):
            table.add_column(column)
        rows = Line.objects.values("apply_type", "state").annotate(n=Count("id"))
        for row in rows.order_by("apply_type", "state"):
            kind = ApplyType(row["apply_type"]).label
            table.add_row(str(kind), str(LineState(row["state"]).label), str(row["n"]))
        console.print(table)
        batches = Table(title="Last batches")
        for column in ("id", "kind", "state", "created", "lines", "error"):
            batches.add_column(column)
        for batch in Batch.objects.annotate(n=Count("lines")).order_by("-created_at")[:10]:
            batches.add_row(
                str(batch.pk),
                str(ApplyType(batch.apply_type).label),
                str(BatchState(batch.state).label),
                f"{batch.created_at:%Y-%m-%d %H:%M}",
                str(batch.n),
                batch.error[:60],
            )
        console.print(batches)
        waiting = Mail.objects.exclude(state=MailState.MATCHED).count()
        console.print(
            f"mails not matched: {waiting} (the console's National service page lists them)"
        )
