"""`jitsuin revoke SERIAL | --user UID [--reason R] [--wait]`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.cli.management.commands import _lifecycle_cli as cli
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Certificate
from jitsuin.lifecycle.services import request_revoke
from jitsuin.lifecycle.waiting import wait_for_request
from jitsuin.pki.names import Serial


class Command(BaseCommand):
    help = "Request revocation of a certificate (by serial) or of every valid one of a person."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("serial", nargs="?", default="", help="serial in hex (colons allowed)")
        parser.add_argument("--user", default="", help="revoke every valid certificate of UID")
        parser.add_argument(
            "--reason", default="unspecified", help="RFC 5280 name, e.g. keyCompromise"
        )
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--timeout", default="10m")

    def _targets(self, options: dict[str, Any]) -> list[Certificate]:
        if bool(options["serial"]) == bool(options["user"]):
            raise CommandError("give a SERIAL or --user UID (one of them)")
        if options["user"]:
            return list(
                Certificate.objects.filter(person=cli.person(options["user"])).live(
                    now=timezone.now()
                )
            )
        try:
            serial = Serial.parse(options["serial"])
        except ValueError as exc:
            raise CommandError(f"{options['serial']!r} is not a hex serial") from exc
        found = list(Certificate.objects.filter(serial=serial.db))
        if not found:
            raise CommandError(f"no certificate with serial {options['serial']}")
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        targets = self._targets(options)
        if not targets:
            self.stdout.write("no valid certificates to revoke")
            return
        for certificate in targets:
            try:
                request = request_revoke(
                    certificate,
                    actor=cli.cli_actor(),
                    idempotency_key=f"cli:{uuid.uuid4()}",
                    reason=options["reason"],
                )
            except LifecycleError as exc:
                raise cli.fail(exc) from exc
            if options["wait"]:
                request = wait_for_request(request, timeout=cli.timeout(options["timeout"]))
            self.stdout.write(f"{certificate.serial_number.hex}: {cli.describe(request)}")
