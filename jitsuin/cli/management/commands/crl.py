"""`jitsuin crl SLUG --out FILE`: write a CA's current CRL (DER, or PEM with --pem)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jitsuin.audit.actors import Actor
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.ocsp_export import export_static

CLI = str(Actor.cli())  # the command line, without the OS user (as recorded so far)


class Command(BaseCommand):
    help = "Write a CA's current CRL to a file; --publish signs a new one first; --all: every CA."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "slug",
            nargs="?",
            help="the CA's slug, as in its CRL URL /crl/<slug>.crl (a wrong one lists them)",
        )
        parser.add_argument("--out", help="file to write (default: standard output, PEM)")
        parser.add_argument("--pem", action="store_true", help="PEM instead of DER")
        parser.add_argument("--publish", action="store_true", help="sign a fresh CRL now")
        parser.add_argument(
            "--all", action="store_true", help="every CA's CRL as one PEM bundle (for RADIUS)"
        )
        parser.add_argument(
            "--ocsp-static",
            metavar="DIR",
            help="also export the pre-signed OCSP responses for a static server (RFC 5019 GET)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["ocsp_static"]:
            count = export_static(Path(options["ocsp_static"]))
            self.stderr.write(f"{count} OCSP responses -> {options['ocsp_static']}")
            if not options["slug"] and not options["all"]:
                return
        if options["all"]:
            if options["publish"]:
                for authority in Authority.objects.all():
                    publishing.publish_crl(authority, actor=CLI)
            self._write(options["out"], publishing.crl_bundle_pem().encode(), text=True)
            return
        if not options["slug"]:
            raise CommandError("give a CA slug, or --all")
        authority = Authority.objects.filter(slug=options["slug"]).first()
        if authority is None:
            known = ", ".join(Authority.objects.values_list("slug", flat=True))
            raise CommandError(f"no CA with slug {options['slug']!r}; known: {known}")
        row = (
            publishing.publish_crl(authority, actor=CLI)
            if options["publish"]
            else publishing.latest_crl_or_sign(authority)
        )
        pem = options["pem"] or not options["out"]
        data = publishing.crl_pem(row).encode() if pem else bytes(row.der)
        self._write(options["out"], data, text=pem)
        if options["out"]:
            self.stderr.write(
                f"CRL {row.number} of {authority.name}: {row.entries} entries, "
                f"next update {row.next_update:%Y-%m-%d %H:%M} UTC -> {options['out']}"
            )

    def _write(self, out: str | None, data: bytes, *, text: bool) -> None:
        if out:
            Path(out).write_bytes(data)
        else:
            self.stdout.write(data.decode(), ending="")
