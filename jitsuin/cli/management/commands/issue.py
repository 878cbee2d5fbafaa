"""`jitsuin issue UID [--profile P] [--pkcs12 F] --out FILE.p12 [--pin-file F] [--wait]`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jitsuin.cli.management.commands import _lifecycle_cli as cli
from jitsuin.cli.options import write_private
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Pickup, Profile, Request, RequestKind, RequestState
from jitsuin.lifecycle.services import collect_pickup, default_profile, request_issue, reveal_pin
from jitsuin.lifecycle.waiting import wait_for_request


class Command(BaseCommand):
    help = (
        "Request a certificate for a person; with --wait, wait for it and save the PKCS#12. "
        "Prints the access PIN unless --pin-file is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("uid")
        parser.add_argument("--profile", default="", help="profile slug (default: the default)")
        parser.add_argument("--pkcs12", default="", choices=["", "compatible", "modern"])
        parser.add_argument("--out", default="", help="where to save the PKCS#12 (.p12)")
        parser.add_argument("--pin-file", default="", help="write the PIN here (0600)")
        parser.add_argument("--wait", action="store_true", help="wait until it is issued")
        parser.add_argument("--timeout", default="10m", help="how long --wait waits (e.g. 90s)")
        parser.add_argument("--key", default="", help="idempotency key (default: a new one)")

    def handle(self, *args: Any, **options: Any) -> None:
        person = cli.person(options["uid"])
        profile = None
        if options["profile"]:
            profile = Profile.objects.filter(slug=options["profile"]).first()
            if profile is None:
                raise CommandError(f"no profile {options['profile']!r}")
        try:
            request = request_issue(
                person,
                actor=cli.cli_actor(),
                idempotency_key=options["key"] or f"cli:{uuid.uuid4()}",
                profile=profile,
            )
        except LifecycleError as exc:
            # A certificate issued earlier waits to be collected: that is the one to save.
            waiting = Request.objects.filter(
                person=person,
                profile=profile or default_profile(),
                kind=RequestKind.ISSUE,
                state=RequestState.READY,
            ).first()
            if exc.code != "pickup_waiting" or waiting is None:
                raise cli.fail(exc) from exc
            request = waiting
        if options["wait"]:
            request = wait_for_request(request, timeout=cli.timeout(options["timeout"]))
        self.stdout.write(cli.describe(request))
        if request.state != RequestState.READY:
            if options["wait"] or options["out"]:
                if request.state in (RequestState.FAILED, RequestState.CANCELLED):
                    raise CommandError(cli.describe(request))
                if options["out"]:
                    self.stdout.write("not issued yet: run again with --wait to save the file")
            return
        pickup = Pickup.objects.get(request=request)
        if options["out"]:
            fmt = options["pkcs12"] or request.pkcs12_compat or "compatible"
            data = collect_pickup(pickup, actor=cli.cli_actor(), pkcs12_profile=fmt)
            write_private(Path(options["out"]), data)
            self.stdout.write(
                f"saved {options['out']} ({fmt}, serial {request.certificate.serial_number.hex})"
            )
        pin = reveal_pin(pickup, actor=cli.cli_actor())
        if options["pin_file"]:
            write_private(Path(options["pin_file"]), (pin + "\n").encode())
            self.stdout.write(f"PIN written to {options['pin_file']}")
        else:
            self.stdout.write(f"PIN: {pin}")
