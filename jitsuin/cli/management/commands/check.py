"""`jitsuin check FILE [--pin PIN] [--online] [--lang ja|en]`: is this certificate still good?

Exit code 0 only for a valid certificate; 1 for any other verdict; 2 when the file cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jitsuin.lifecycle.verdict import check_certificate
from jitsuin.pki.errors import PkiError


class Command(BaseCommand):
    help = "Check a certificate (PEM, DER or PKCS#12): valid, revoked, expired, issuer revoked..."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="PEM, DER or PKCS#12 file; - reads standard input")
        parser.add_argument("--pin", help="the PKCS#12 PIN")
        parser.add_argument(
            "--online",
            action="store_true",
            help="also fetch the CRL and OCSP URLs in the certificate, as a relying party would",
        )
        parser.add_argument("--lang", choices=["ja", "en"], default="ja")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        try:
            verdict = check_certificate(
                data, pin=options["pin"], lang=options["lang"], online=options["online"]
            )
        except PkiError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["json"]:
            body = {
                "status": verdict.status,
                "message": verdict.message,
                "advice": verdict.advice,
                "revoked_at": verdict.revoked_at.isoformat() if verdict.revoked_at else None,
                "stops_working_at": (
                    verdict.stops_working_at.isoformat() if verdict.stops_working_at else None
                ),
                "reason": verdict.reason,
                "serial_hex": verdict.serial_hex,
                "serial_decimal": verdict.serial_decimal,
                "subject": verdict.subject,
                "sources": list(verdict.sources),
                "online": [
                    {
                        "source": f.source,
                        "url": f.url,
                        "ok": f.ok,
                        "revoked": f.revoked,
                        "error": f.error,
                    }
                    for f in verdict.online
                ],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"{verdict.status}: {verdict.message}")
            self.stdout.write(verdict.advice)
            self.stdout.write(f"subject: {verdict.subject}")
            self.stdout.write(f"serial: {verdict.serial_hex} ({verdict.serial_decimal})")
            for finding in verdict.online:
                state = "revoked" if finding.revoked else ("ok" if finding.ok else finding.error)
                self.stdout.write(f"{finding.source} {finding.url}: {state}")
        if not verdict.ok:
            sys.exit(1)
