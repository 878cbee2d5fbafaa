"""`jitsuin recovery list|process`: S/MIME key recoveries (docs/key-recovery.md).

``process`` runs where the recovery private key is, connected to jitsuin's database (the
ceremony machine, or the server with the offline media plugged in for the occasion). The key
is read from ``--key``, opened with its passphrase in memory and never written anywhere; a
key file inside the data directory is refused. ``init-key`` needs no database and is
dispatched before Django (jitsuin/cli/recovery_key.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jitsuin.cli.management.commands import _lifecycle_cli as cli
from jitsuin.cli.recovery_key import read_passphrase
from jitsuin.config import current
from jitsuin.lifecycle.models import KeyRecovery, RecoveryState
from jitsuin.lifecycle.recovery import process_approved
from jitsuin.pki.keyarchive import KeyArchiveError, load_recovery_private_key


class Command(BaseCommand):
    help = (
        "S/MIME key recovery: list recoveries, or process the approved ones with the "
        "recovery private key (init-key, which makes that key, runs without a database)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        listing = sub.add_parser("list", help="recoveries and their state")
        listing.add_argument("--state", choices=RecoveryState.values, default=None)
        process = sub.add_parser(
            "process",
            help="decrypt the keys of approved recoveries into one-time PKCS#12 pickups",
        )
        process.add_argument(
            "--key", required=True, help="the encrypted recovery private key (offline media)"
        )
        process.add_argument(
            "--passphrase-file", default="", help="its passphrase (first line); default: ask"
        )
        process.add_argument(
            "--id", type=int, action="append", default=[], help="only this recovery (repeat)"
        )
        sub.add_parser("init-key", help="make the recovery key pair (offline; see its --help)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(options["state"])
        elif options["action"] == "process":
            self._process(Path(options["key"]), options["passphrase_file"], options["id"])
        else:
            raise CommandError("run `jitsuin recovery init-key --help` (it needs no database)")

    def _list(self, state: str | None) -> None:
        found = KeyRecovery.objects.select_related("archive__certificate__person")
        if state:
            found = found.filter(state=state)
        for recovery in found.order_by("pk"):
            certificate = recovery.archive.certificate
            approvers = ", ".join(
                a for a in (recovery.first_approver, recovery.second_approver) if a
            )
            self.stdout.write(
                f"#{recovery.pk}  {recovery.state:<17}  {certificate.person.uid}  "
                f"serial {certificate.serial_number.hex}  by {recovery.requested_by}"
                f"{'  approved by ' + approvers if approvers else ''}  "
                f"{'owner' if recovery.for_owner else 'for ' + recovery.recipient.get_username()}"
            )

    def _process(self, key_path: Path, passphrase_file: str, ids: list[int]) -> None:
        data_dir = current().data_dir
        resolved = key_path.resolve()
        if resolved == data_dir or data_dir in resolved.parents:
            raise CommandError(
                f"{key_path} is inside the data directory {data_dir}: the recovery private key "
                "must never be stored on the server; keep it on the offline media"
            )
        try:
            pem = key_path.read_bytes()
            recovery_key = load_recovery_private_key(
                pem, read_passphrase(passphrase_file, confirm=False)
            )
        except (OSError, KeyArchiveError) as exc:
            raise CommandError(str(exc)) from exc
        results = process_approved(recovery_key, actor=cli.cli_actor(), ids=ids)
        if not results:
            self.stdout.write("no approved recovery to process")
        failed = 0
        for result in results:
            owner = result.recovery.archive.certificate.person.uid
            if result.pickup is None:
                failed += 1
                self.stdout.write(f"#{result.recovery.pk} ({owner}): NOT recovered: {result.error}")
            else:
                self.stdout.write(
                    f"#{result.recovery.pk} ({owner}): recovered; pickup #{result.pickup.pk} "
                    f"with a new PIN until {cli.local(result.pickup.expires_at)}"
                )
        if failed:
            raise CommandError(f"{failed} recovery(ies) could not be processed")
