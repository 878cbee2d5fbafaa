"""`jitsuin ca offline request|import|status`: the online half of an offline root.

The ceremony's half (`init`, `sign`) runs on the air-gapped machine without Django
(jitsuin/cli/offline_root.py). Files travel between the two as JSON documents.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from jitsuin.authorities import offline
from jitsuin.authorities.models import Authority, PublishedCrl
from jitsuin.authorities.publishing.nextupdate import OFFLINE_CRL_WARNING
from jitsuin.config.parts import CA_KEY_TYPES
from jitsuin.pki.offline import read_document, write_private


def add_offline_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "offline",
        help="an offline root: request (intermediate, crl), import answers, status",
        description="init and sign run on the offline machine: jitsuin ca offline init|sign",
    )
    actions = parser.add_subparsers(
        dest="offline_action", required=True, parser_class=argparse.ArgumentParser
    )
    request = actions.add_parser("request", help="write a request for the signing ceremony")
    kinds = request.add_subparsers(dest="kind", required=True, parser_class=argparse.ArgumentParser)
    intermediate = kinds.add_parser("intermediate", help="a new intermediate under the root")
    intermediate.add_argument("name")
    intermediate.add_argument("--key-type", choices=CA_KEY_TYPES, default=None)
    intermediate.add_argument("--validity-days", type=int, default=None)
    intermediate.add_argument("--root", default=None, help="the offline root (if several)")
    intermediate.add_argument("--out", required=True, type=Path)
    crl = kinds.add_parser("crl", help="the root's next CRL (its revoked intermediates)")
    crl.add_argument("--root", default=None, help="the offline root (if several)")
    crl.add_argument("--out", required=True, type=Path)
    do_import = actions.add_parser("import", help="import a root, intermediate or CRL answer")
    do_import.add_argument("file", type=Path)
    actions.add_parser("status", help="each offline root's CRL and when the next ceremony is due")


def _root(name: str | None) -> Authority:
    roots = offline.offline_roots()
    chosen = [r for r in roots if name in (None, r.name)]
    if not chosen:
        raise CommandError(
            "no offline root"
            + (f" named {name!r}" if name else "")
            + "; import one first: jitsuin ca offline import root.json"
        )
    if len(chosen) > 1:
        raise CommandError("several offline roots: name one with --root")
    return chosen[0]


class OfflineRootCommands:
    """Mixed into the `ca` command."""

    stdout: Any

    def do_offline(self, options: dict[str, Any], actor: str) -> None:
        action = options["offline_action"]
        if action == "request":
            self._offline_request(options)
        elif action == "import":
            self._offline_import(options, actor)
        else:
            self._offline_status()

    def _offline_request(self, options: dict[str, Any]) -> None:
        root = _root(options["root"])
        if options["kind"] == "intermediate":
            doc = offline.request_intermediate(
                options["name"],
                root=root,
                key_type=options["key_type"],
                validity_days=options["validity_days"],
            )
            what = f"a new intermediate {options['name']!r} (its key is made and kept here)"
        else:
            doc = offline.crl_request(root)
            what = f"the CRL of {root.name}, listing {len(doc['entries'])} intermediate(s)"
        write_private(options["out"], (json.dumps(doc, indent=2) + "\n").encode())
        self.stdout.write(f"wrote {options['out']}: {what}")
        self.stdout.write(
            "on the offline machine: jitsuin ca offline sign --vault DIR "
            f"{options['out'].name} --out answer.json"
        )

    def _offline_import(self, options: dict[str, Any], actor: str) -> None:
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}") from exc
        doc = read_document(data, expect=("root", "intermediate", "crl"))
        if doc["kind"] == "root":
            root = offline.import_root(doc, actor=actor)
            self.stdout.write(f"imported offline root {root.name} with its CRL {root.crl_number}")
        elif doc["kind"] == "intermediate":
            authority = offline.import_intermediate(doc, actor=actor)
            self.stdout.write(
                f"imported {authority.name} (pending), its first CRL published; "
                f"`jitsuin ca activate {authority.name}` makes it issue"
            )
        else:
            row = offline.import_crl(doc, actor=actor)
            self.stdout.write(
                f"published CRL {row.number} of {row.authority.name}, valid until "
                f"{timezone.localtime(row.next_update):%Y-%m-%d %H:%M %Z}"
            )

    def _offline_status(self) -> None:
        roots = offline.offline_roots()
        if not roots:
            self.stdout.write("no offline root")
        now = timezone.now()
        for root in roots:
            latest = PublishedCrl.objects.latest_times_for(root)
            revoked = Authority.objects.filter(parent=root, revoked_at__lte=now)
            listed = latest.entries if latest else 0
            self.stdout.write(f"{root.name}: offline root")
            if latest is None:
                self.stdout.write("  no CRL: import one (jitsuin ca offline import)")
                continue
            days = (latest.next_update - now).days
            self.stdout.write(
                f"  CRL {latest.number} valid until "
                f"{timezone.localtime(latest.next_update):%Y-%m-%d} ({days} days)"
            )
            if revoked.count() > listed or days < OFFLINE_CRL_WARNING.days:
                self.stdout.write(
                    "  a ceremony is due: jitsuin ca offline request crl --out crl-request.json"
                )
