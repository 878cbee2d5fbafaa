"""`jitsuin user add UID --email E [--name N]`; `jitsuin user unlock NAME|--address IP`;
`jitsuin user enrol-code NAME` (a one-time TOTP enrolment code for a staff account);
`jitsuin user grant|withdraw NAME ROLE` (staff roles); `jitsuin user link-sso NAME ...`
(bind an IdP identity to an existing account); `jitsuin user show NAME`;
`jitsuin user deactivate|reactivate UID` and `jitsuin user import FILE` (``_people_cli``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.access import services as access
from jitsuin.access.roles import is_staff_member, roles_of
from jitsuin.cli.management.commands import _people_cli as people_cli
from jitsuin.cli.management.commands._lifecycle_cli import cli_actor, fail
from jitsuin.console.roles import ROLE_PERMISSIONS, grant_role, withdraw_role
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.people import add_person
from jitsuin.sso.identities import link_identity
from jitsuin.sso.models import SsoIdentity


class Command(BaseCommand):
    help = (
        "People and accounts: `jitsuin user add UID --email E [--name N]`, "
        "`jitsuin user unlock NAME` (or `--address IP`), `jitsuin user enrol-code NAME`, "
        "`jitsuin user grant|withdraw NAME ROLE`, `jitsuin user link-sso NAME --method M "
        "--issuer I --subject S`, `jitsuin user show NAME`, "
        "`jitsuin user deactivate|reactivate UID`, `jitsuin user import FILE [--dry-run]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a person")
        add.add_argument("uid")
        add.add_argument("--email", required=True)
        add.add_argument("--name", default="", help="name in English (Latin letters)")
        add.add_argument("--name-ja", default="", help="name in Japanese")
        add.add_argument(
            "--name-kana",
            default="",
            help="reading of the Japanese name (katakana or hiragana), found by the console search",
        )
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
        for verb, what in (
            ("grant", "give an account a staff role (audited)"),
            ("withdraw", "take a staff role away (audited)"),
        ):
            role = sub.add_parser(verb, help=what)
            role.add_argument("name", help="the sign-in user ID (an SSO user's is its uid)")
            role.add_argument("role", choices=sorted(ROLE_PERMISSIONS))
        link = sub.add_parser(
            "link-sso",
            help="bind an IdP identity (issuer + subject) to an existing account, e.g. after a "
            "uid was renamed at the IdP",
        )
        link.add_argument("name", help="the account's sign-in user ID")
        link.add_argument("--method", required=True, choices=["oidc", "saml"])
        link.add_argument(
            "--issuer", required=True, help="OIDC issuer URL, or the SAML IdP's entityID"
        )
        link.add_argument("--subject", required=True, help="OIDC `sub`, or the SAML scoped ePPN")
        show = sub.add_parser("show", help="an account: roles, second factor, SSO identities")
        show.add_argument("name")
        people_cli.add_parsers(sub)

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

    def _account(self, name: str) -> Any:
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no account {name!r}")
        return user

    def _role(self, verb: str, name: str, role: str) -> None:
        user = self._account(name)
        change = grant_role if verb == "grant" else withdraw_role
        if change(user, role, actor=cli_actor()):
            self.stdout.write(f"{name}: {role} {'granted' if verb == 'grant' else 'withdrawn'}")
        else:
            self.stdout.write(
                f"{name}: no change ({role} {'held' if verb == 'grant' else 'not held'})"
            )

    def _link(self, name: str, method: str, issuer: str, subject: str) -> None:
        user = self._account(name)
        try:
            link_identity(user, method=method, issuer=issuer, subject=subject, actor=cli_actor())
        except LifecycleError as exc:
            raise fail(exc) from exc
        self.stdout.write(f"{name}: linked {method} {subject} @ {issuer}")

    def _show(self, name: str) -> None:
        user = self._account(name)
        roles = ", ".join(sorted(roles_of(user))) or "none"
        local = "yes" if user.has_usable_password() else "no"
        lines = [
            f"account: {name}",
            f"  roles: {roles}{' (superuser)' if user.is_superuser else ''}",
            f"  local password: {local}; active: {'yes' if user.is_active else 'no'}",
        ]
        for identity in SsoIdentity.objects.filter(user=user).order_by("linked_at"):
            lines.append(
                f"  sso: {identity.method} {identity.subject} @ {identity.issuer} "
                f"(last sign-in {timezone.localtime(identity.last_sign_in_at):%Y-%m-%d %H:%M})"
            )
        self.stdout.write("\n".join(lines))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in people_cli.ACTIONS:
            people_cli.handle(self, options)
            return
        if action in ("grant", "withdraw"):
            self._role(action, options["name"], options["role"])
            return
        if action == "link-sso":
            self._link(options["name"], options["method"], options["issuer"], options["subject"])
            return
        if action == "show":
            self._show(options["name"])
            return
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
                name_kana=options["name_kana"],
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
