"""`jitsuin request list|show|retry|cancel`: one request, for the helpdesk and scripts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jitsuin.cli.management.commands import _lifecycle_cli as cli
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Request
from jitsuin.lifecycle.services import cancel_request, retry_request


class Command(BaseCommand):
    help = "Requests: list, show ID (with its history), retry ID --reason R, cancel ID --reason R."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cli.add_listing_arguments(sub.add_parser("list", help="list requests, newest first"))
        show = sub.add_parser("show", help="a request and its history")
        show.add_argument("id", type=int)
        for name in ("retry", "cancel"):
            action = sub.add_parser(name, help=f"{name} a request")
            action.add_argument("id", type=int)
            action.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for line in cli.listing(options):
                self.stdout.write(line)
            return
        request = cli.request(options["id"])
        if action == "show":
            self._show(request)
            return
        service = retry_request if action == "retry" else cancel_request
        try:
            request = service(request, actor=cli.cli_actor(), reason=options["reason"])
        except LifecycleError as exc:
            raise cli.fail(exc) from exc
        self.stdout.write(cli.describe(request))

    def _show(self, r: Request) -> None:
        out = self.stdout.write
        out(cli.describe(r))
        out(f"  person:     {r.person.uid} <{r.person.email}>")
        out(f"  profile:    {r.profile.slug}")
        out(f"  asked by:   {r.requested_by}")
        if r.target_id:
            out(f"  target:     {r.target.serial_number.hex}")
        if r.certificate_id:
            out(f"  issued:     {r.certificate.serial_number.hex}")
        out(f"  attempts:   {r.attempts}")
        if r.connector_ref:
            out(f"  upstream:   {r.connector}: {r.connector_ref}")
        if r.lease_owner:
            out(f"  worker:     {r.lease_owner} until {cli.local(r.lease_until)}")
        out("  history:")
        for t in r.transitions.all():
            at = cli.local(t.at)
            note = f"  {t.note}" if t.note else ""
            out(f"    {at}  {t.from_state or '-':>10} -> {t.to_state:<10} {t.actor}{note}")
