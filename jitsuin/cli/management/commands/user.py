"""`jitsuin user add UID --email E [--name N]`; `jitsuin user unlock NAME|--address IP`;
`jitsuin user enrol-code NAME` (a one-time TOTP enrolment code for a staff account)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.access import services as access
from jitsuin.access.roles import is_staff_member
from jitsuin.cli.management.commands._lifecycle_cli import cli_actor, fail
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.people import add_person


class Command(BaseCommand):
    help = (
        "People and accounts: `jitsuin user add UID --email E [--name N]`, "
        "`jitsuin user unlock NAME` (or `--address IP`), `jitsuin user enrol-code NAME`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a person")
        add.add_argument("uid")
        add.add_argument("--email", required=True)
        add.add_argument("--name", default="", help="name in English (Latin letters)")
        add.add_argument("--name-ja", default="", help="name in Japanese")
        add.add_argument("--affiliation", default="")
        add.add_argument("--language", default="ja", choices=["ja", "en"])
        unlock = sub.add_parser(
            "unlock", help="forget an account's failed sign-ins (ends a lockout at once)"
        )
        unlock.add_argument("name", nargs="?", help="the sign-in user ID")
        unlock.add_argument(
            "--address", help="instead: forget the failed sign-ins from this client address"
        )
        code = sub.add_parser(
            "enrol-code",
            help="issue a one-time code with which a staff account sets up its TOTP (printed once)",
        )
        code.add_argument("name", help="the sign-in user ID of the staff member")

    def _unlock(self, name: str | None, address: str | None) -> None:
        if bool(name) == bool(address):
            raise CommandError("name a user ID or give --address IP (one of them)")
        if address:
            held = access.unlock_address(address, actor=cli_actor())
            self.stdout.write(f"unlocked address {address} ({held} failed sign-ins forgotten)")
        else:
            assert name is not None
            held = access.unlock_sign_in(name, actor=cli_actor())
            self.stdout.write(f"unlocked {name} ({held} failed sign-ins forgotten)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "unlock":
            self._unlock(options["name"], options["address"])
            return
        if options["action"] == "enrol-code":
            self._enrol_code(options["name"])
            return
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

    def _enrol_code(self, name: str) -> None:
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no account {name!r}")
        if not is_staff_member(user):
            raise CommandError(f"{name} is not staff: users set up a one-time code themselves")
        code, issued = access.issue_enrolment_code(user, actor=cli_actor())
        until = timezone.localtime(issued.expires_at)
        self.stdout.write(
            f"enrolment code for {name}: {code}\n"
            f"valid until {until:%Y-%m-%d %H:%M %Z}, once. Hand it over in person or "
            "by another channel than the password; it is not shown again."
        )
