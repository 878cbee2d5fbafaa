"""`jitsuin requests [--state S] [--user UID]`: the same table as `jitsuin request list`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jitsuin.cli.management.commands import _lifecycle_cli as cli


class Command(BaseCommand):
    help = "List requests, newest first (the same as `jitsuin request list`)."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_listing_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        for line in cli.listing(options):
            self.stdout.write(line)
