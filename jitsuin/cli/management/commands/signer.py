"""`jitsuin signer ...`: the signing service of an RA/CA split (docs/signer.md).

Runs with the signer's own JITSUIN_DATA_DIR and database; its CA hierarchy is made there with
`jitsuin ca init`, like an embedded one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from jitsuin.authorities.keys import check_kek
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import AuthorityError, issuing_authority
from jitsuin.config import current
from jitsuin.connectors import remote_crl
from jitsuin.connectors.base import ConnectorError
from jitsuin.connectors.remote import signer_status
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.signer import admin_ca, registration, server
from jitsuin.signer.models import RegisteredRa, SignerOrder
from jitsuin.signer.policy import Refused


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: give HOST:PORT, e.g. 0.0.0.0:8443")
    return host.strip("[]"), int(port)


def _write_private(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    if path.exists():
        raise CommandError(f"{path} exists already; choose another --output directory")
    admin_ca.write_private(path, data)
    return path


class Command(BaseCommand):
    help = "The signing service: init, serve, add-ra, remove-ra, status (docs/signer.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        init = sub.add_parser(
            "init",
            help="make the signer's admin CA (once) and a server certificate for --host",
        )
        init.add_argument(
            "--host",
            action="append",
            required=True,
            help="the name (or address) RAs reach the signer by; repeat for several",
        )
        serve = sub.add_parser("serve", help="answer registered RAs over mutual TLS (TLS 1.3)")
        serve.add_argument("--listen", type=_listen, default=("127.0.0.1", 8443), help="HOST:PORT")
        # Tests only (docs/signer.md): crash after the first order while PATH does not exist.
        serve.add_argument("--test-crash-after-order", type=Path, help=argparse.SUPPRESS)
        add = sub.add_parser(
            "add-ra",
            help="register an RA; writes its client key, certificate and the signer's CA "
            "certificate to --output (0600)",
        )
        add.add_argument("name")
        add.add_argument(
            "--profiles", required=True, help="comma-separated templates, e.g. client-auth"
        )
        add.add_argument(
            "--namespace",
            action="append",
            required=True,
            help="an e-mail domain (example.ac.jp) or O=Organisation; repeat for several",
        )
        add.add_argument("--rate", type=int, default=600, help="orders a minute (default 600)")
        add.add_argument(
            "--output", type=Path, required=True, help="a directory for the RA's files"
        )
        remove = sub.add_parser("remove-ra", help="refuse an RA from now on")
        remove.add_argument("name")
        sub.add_parser(
            "status",
            help="the issuing CA, the admin CA and the registered RAs; on an RA "
            "(JITSUIN_SIGNER_URL set): the signer's answer",
        )
        sub.add_parser(
            "pull-crls",
            help="on an RA: fetch the signer's newest CRLs into this RA's publishing store",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, "_" + action.replace("-", "_"))(options)
        except (admin_ca.AdminCaError, registration.RegistrationError, AuthorityError) as exc:
            raise CommandError(str(exc)) from exc
        except Refused as exc:
            raise CommandError(str(exc)) from exc

    def _init(self, options: dict[str, Any]) -> None:
        certificate, created = admin_ca.init(options["host"])
        where = admin_ca.paths()
        verb = "made" if created else "kept"
        self.stdout.write(f"admin CA {verb}: {where.ca_certificate}")
        self.stdout.write(
            f"server certificate for {', '.join(options['host'])}: {where.server_certificate}"
        )
        if not Authority.objects.issuing().exists():
            self.stdout.write("no issuing CA yet: run `jitsuin ca init` with this data directory")

    def _serve(self, options: dict[str, Any]) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        try:
            check_kek()
        except KeyStoreError as exc:
            raise CommandError(str(exc)) from exc
        host, port = options["listen"]

        def ready(bound: int) -> None:
            print(f"signer listening on {host}:{bound}", flush=True)

        try:
            server.serve(host, port, ready=ready, crash_file=options["test_crash_after_order"])
        except KeyboardInterrupt:
            sys.stdout.write("signer stopped\n")
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def _add_ra(self, options: dict[str, Any]) -> None:
        output: Path = options["output"]
        output.mkdir(mode=0o700, parents=True, exist_ok=True)
        profiles = [p.strip() for p in options["profiles"].split(",") if p.strip()]
        ra, credentials = registration.add_ra(
            options["name"],
            profiles=profiles,
            namespace=options["namespace"],
            rate_per_minute=options["rate"],
        )
        files = [
            _write_private(output, "client.key", credentials.key_pem),
            _write_private(output, "client.pem", credentials.certificate_pem),
            _write_private(output, "signer-ca.pem", credentials.ca_pem),
        ]
        self.stdout.write(
            f"RA {ra.name} registered (certificate SHA-256 {ra.certificate_fingerprint})"
        )
        for path in files:
            self.stdout.write(f"  {path}")
        self.stdout.write(
            "On the RA: JITSUIN_SIGNER_CLIENT_KEY, JITSUIN_SIGNER_CLIENT_CERT and "
            "JITSUIN_SIGNER_CA name these files (docs/signer.md)."
        )

    def _remove_ra(self, options: dict[str, Any]) -> None:
        ra = registration.remove_ra(options["name"])
        self.stdout.write(f"RA {ra.name} removed: refused from now on")

    def _pull_crls(self, options: dict[str, Any]) -> None:
        try:
            stored = remote_crl.pull_from_configured_signer()
        except ConnectorError as exc:
            raise CommandError(str(exc)) from exc
        for row in stored:
            self.stdout.write(f"CRL {row.number} of {row.authority.name}: {row.entries} entries")
        if not stored:
            self.stdout.write("no newer CRL")

    def _status(self, options: dict[str, Any]) -> None:
        console = Console(file=self.stdout, width=120)
        if current().signer.enabled:  # on an RA: the signer as this RA sees it
            try:
                answer = signer_status()
            except ConnectorError as exc:
                raise CommandError(str(exc)) from exc
            chain = answer.get("chain") or []
            names = " <- ".join(str(ca["name"]) for ca in chain)  # type: ignore[union-attr,index]
            console.print(
                f"signer {current().signer.url}: {answer.get('status')}; RA {answer.get('ra')}"
            )
            console.print(f"issuing chain: {names or 'none'}")
            return
        try:
            issuing = issuing_authority()
            console.print(f"issuing CA: {issuing.name} (until {issuing.not_after:%Y-%m-%d})")
        except AuthorityError as exc:
            console.print(f"issuing CA: none ({exc})")
        where = admin_ca.paths()
        made = where.ca_certificate.exists()
        console.print(
            f"admin CA: {where.ca_certificate if made else 'none; run `jitsuin signer init`'}"
        )
        table = Table("RA", "profiles", "namespace", "rate/min", "orders", "state")
        for ra in RegisteredRa.objects.all():
            table.add_row(
                ra.name,
                ", ".join(ra.profiles),
                ", ".join([*ra.email_domains, *(f"O={o}" for o in ra.organizations)]),
                str(ra.rate_per_minute),
                str(SignerOrder.objects.filter(ra=ra).count()),
                "removed" if ra.removed else "active",
            )
        console.print(table)
