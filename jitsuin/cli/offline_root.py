"""`jitsuin ca offline init|sign`: the offline root's ceremony, on the air-gapped machine.

Runs before Django is set up: it needs no database, settings or data directory, only the
vault directory (on removable media) and the passphrase. The online side's half is
`jitsuin ca offline request|import|status` (docs/authorities.md, "An offline root").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from jitsuin.cli.recovery_key import read_passphrase
from jitsuin.pki.clock import SystemClock
from jitsuin.pki.errors import PkiError
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.offline import (
    DEFAULT_ROOT_CRL_VALIDITY,
    OfflineError,
    crl_from,
    init_vault,
    open_vault,
    read_document,
    sign,
    write_private,
)

CA_KEY_TYPES = ("p384", "p256", "rsa3072", "rsa4096")  # as JITSUIN_CA_KEY_TYPE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jitsuin ca offline",
        description="The offline root's signing ceremony (no database needed).",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    init = sub.add_parser("init", help="make the root key and certificate in a new vault")
    init.add_argument("--vault", required=True, type=Path, help="an empty directory")
    init.add_argument("--name", required=True, help="the root's common name")
    init.add_argument("--organization", required=True, help="the O= of the root's name")
    init.add_argument(
        "--public-url", required=True, help="JITSUIN_PUBLIC_URL of the online jitsuin"
    )
    init.add_argument("--key-type", choices=CA_KEY_TYPES, default="p384")
    init.add_argument(
        "--crl-validity-days",
        type=int,
        default=DEFAULT_ROOT_CRL_VALIDITY.days,
        help="nextUpdate of each root CRL: longer than the time between two ceremonies",
    )
    init.add_argument("--passphrase-file", default="", help="else asked twice")
    init.add_argument("--out", required=True, type=Path, help="the root document to import")
    do_sign = sub.add_parser("sign", help="answer a request made by `jitsuin ca offline request`")
    do_sign.add_argument("request", type=Path)
    do_sign.add_argument("--vault", required=True, type=Path)
    do_sign.add_argument("--passphrase-file", default="", help="else asked")
    do_sign.add_argument("--out", required=True, type=Path, help="the answer to import")
    do_sign.add_argument("--yes", action="store_true", help="sign without asking")
    return parser


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "root-ca"


def _write(path: Path, doc: dict[str, Any]) -> None:
    write_private(path, (json.dumps(doc, indent=2) + "\n").encode())


def _summary(request: dict[str, Any]) -> str:
    if request["kind"] == "intermediate-request":
        csr = x509.load_pem_x509_csr(str(request.get("csr_pem", "")).encode())
        days = request.get("validity_days", "default")
        return f"an intermediate CA: {csr.subject.rfc4514_string()}, {days} days"
    entries = request.get("entries") or []
    listed = ", ".join(f"{e.get('name', '?')} ({e.get('serial')})" for e in entries) or "none"
    return f"the root CRL, listing {len(entries)} revoked intermediate(s): {listed}"


def _init(args: argparse.Namespace) -> int:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, args.organization),
            x509.NameAttribute(NameOID.COMMON_NAME, args.name),
        ]
    )
    doc = init_vault(
        args.vault,
        subject=subject,
        name=args.name,
        slug=_slug(args.name),
        public_url=args.public_url,
        key_spec=KeySpec.parse(args.key_type),
        passphrase=read_passphrase(args.passphrase_file, confirm=True),
        clock=SystemClock(),
        crl_validity=timedelta(days=args.crl_validity_days),
    )
    _write(args.out, doc)
    print(f"root {args.name!r} made in {args.vault}; import {args.out} online with")
    print(f"  jitsuin ca offline import {args.out.name}")
    return 0


def _sign(args: argparse.Namespace) -> int:
    request = read_document(
        args.request.read_bytes(), expect=("intermediate-request", "crl-request")
    )
    vault = open_vault(args.vault, read_passphrase(args.passphrase_file, confirm=False))
    print(f"to sign with {vault.state['name']!r}: {_summary(request)}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise OfflineError("give --yes to sign without a terminal to confirm on")
        if input("sign? [y/N] ").strip().lower() not in {"y", "yes"}:
            print("nothing signed")
            return 1
    answer = sign(vault, request, clock=SystemClock())
    _write(args.out, answer)
    if answer["kind"] == "crl":
        crl = crl_from(answer)
        print(f"root CRL number {answer['number']}, valid until {crl.next_update_utc:%Y-%m-%d}")
    else:
        print("intermediate signed")
    print(f"import {args.out} online with: jitsuin ca offline import {args.out.name}")
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return _init(args) if args.action == "init" else _sign(args)
    except (PkiError, OSError, ValueError) as exc:
        print(f"jitsuin ca offline: {exc}", file=sys.stderr)
        return 1
