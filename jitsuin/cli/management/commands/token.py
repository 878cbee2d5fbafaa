"""`jitsuin token create NAME --scope S [--scope S ...] [--expires 90d] | list | revoke NAME`."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import SCOPES, TokenError, create_token, revoke_token, state
from jitsuin.cli.management.commands._lifecycle_cli import cli_actor
from jitsuin.config import ConfigError, parse_duration


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = "API tokens for the JSON API (docs/api.md): create (shown once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        create = sub.add_parser(
            "create", help="a new token; it is printed once, on stdout, and never again"
        )
        create.add_argument("name", help="lower-case letters, digits, . _ - (e.g. radius-1)")
        create.add_argument(
            "--scope",
            action="append",
            default=[],
            help=f"repeat for several: {', '.join(SCOPES)}",
        )
        create.add_argument("--expires", default="", help="e.g. 90d, 12h (default: never)")
        sub.add_parser("list", help="every token: name, scopes, prefix, dates and state")
        revoke = sub.add_parser("revoke", help="stop a token at once")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"do_{options['action']}")(options)
        except TokenError as exc:
            raise CommandError(str(exc)) from exc

    def do_create(self, options: dict[str, Any]) -> None:
        expires_in = None
        if options["expires"]:
            try:
                expires_in = parse_duration(options["expires"], name="--expires")
            except ConfigError as exc:
                raise CommandError(str(exc)) from exc
        raw, token = create_token(
            options["name"], options["scope"], actor=cli_actor(), expires_in=expires_in
        )
        self.stderr.write(
            f"token {token.name} ({', '.join(token.scopes)}): copy it now, it is not shown again"
        )
        self.stdout.write(raw)

    def do_list(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        rows = [("NAME", "SCOPES", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATE")]
        for token in ApiToken.objects.order_by("name"):
            rows.append(
                (
                    token.name,
                    ",".join(token.scopes),
                    token.prefix,
                    _when(token.created_at),
                    _when(token.expires_at),
                    _when(token.last_used_at),
                    state(token, now),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())

    def do_revoke(self, options: dict[str, Any]) -> None:
        token = revoke_token(options["name"], actor=cli_actor())
        self.stdout.write(f"revoked {token.name}")
