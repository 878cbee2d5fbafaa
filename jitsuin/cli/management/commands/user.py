"""`jitsuin user add UID --email E [--name N]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jitsuin.cli.management.commands._lifecycle_cli import cli_actor, fail
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.services import add_person


class Command(BaseCommand):
    help = "People who hold certificates: `jitsuin user add UID --email E [--name N]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a person")
        add.add_argument("uid")
        add.add_argument("--email", required=True)
        add.add_argument("--name", default="", help="name in English (Latin letters)")
        add.add_argument("--name-ja", default="", help="name in Japanese")
        add.add_argument("--affiliation", default="")
        add.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            person = add_person(
                options["uid"],
                email=options["email"],
                actor=cli_actor(),
                name_en=options["name"],
                name_ja=options["name_ja"],
                affiliation=options["affiliation"],
                language=options["language"],
            )
        except LifecycleError as exc:
            raise fail(exc) from exc
        self.stdout.write(f"added {person.uid} <{person.email}>")
