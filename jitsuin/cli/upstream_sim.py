"""`jitsuin upstream-sim init|serve`: a simulator of the national certificate service (UPKI).

Runs before Django is set up: it needs no database or settings, only its own state
directory (docs/upstream-simulator.md).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from jitsuin.pki.errors import PkiError
from jitsuin.upstream.simulator.config import Settings, SimulatorError
from jitsuin.upstream.simulator.directory import init, open_simulator
from jitsuin.upstream.simulator.server import start


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"HOST:PORT expected, not {text!r}")
    return host.strip("[]"), int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jitsuin upstream-sim",
        description="A simulator of the national certificate service (UPKI): the officer's "
        "upload over mutual TLS, EUC-JP result pages, delayed processing, notices over SMTP, "
        "one-time URLs, the cp932 status list. For tests, demos and rehearsals; no database.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    make = sub.add_parser(
        "init",
        help="make a simulator: its CA, HTTPS certificate, the officer's certificate, settings",
        description="Make a simulator in an empty directory: ca.pem (trust it in the "
        "connector), server.pem, officer.pem + officer-key.pem (the connector's client "
        "certificate, 0600), mail-signer.pem (signs the notices, S/MIME) and "
        "simulator.json (delays, maintenance windows, SMTP, sender, "
        "the OU allow-list: edit it, then restart `serve`).",
    )
    make.add_argument("--dir", required=True, type=Path, help="an empty directory")
    make.add_argument("--institution", default=Settings.institution, help="機関名 on results")
    make.add_argument(
        "--allowed-ou",
        action="append",
        default=[],
        metavar="OU",
        help="an OU the institution may use (repeat); a line with none of them gets 371",
    )
    make.add_argument(
        "--host",
        default="localhost",
        help="the name in the HTTPS certificate and in the mails' one-time URLs",
    )
    make.add_argument(
        "--smtp",
        default="127.0.0.1:25",
        type=_address,
        metavar="HOST:PORT",
        help="where the notices are sent (default 127.0.0.1:25)",
    )
    make.add_argument(
        "--maildir",
        default="",
        metavar="PATH",
        help="deliver every notice into this Maildir instead of --smtp (a rehearsal's inbox: "
        "point the portal's JITSUIN_UPKI_MAILBOX=maildir:PATH at it)",
    )
    make.add_argument("--sender", default=Settings.sender, help="From: of every notice")
    make.add_argument(
        "--delay",
        default=Settings.issue_delay,
        type=float,
        metavar="SECONDS",
        help="from acceptance to processing (issue, renew, revoke)",
    )
    serve = sub.add_parser(
        "serve",
        help="serve a simulator made by init",
        description="Serve the officer's side (client certificate required) at --listen and "
        "the one-time URLs and /crl at --public-listen (default: the next port).",
    )
    serve.add_argument("--dir", required=True, type=Path)
    serve.add_argument("--listen", required=True, type=_address, metavar="HOST:PORT")
    serve.add_argument("--public-listen", type=_address, metavar="HOST:PORT")
    return parser


def _init(args: argparse.Namespace) -> int:
    settings = Settings(
        institution=args.institution,
        allowed_ous=tuple(args.allowed_ou),
        host=args.host,
        issue_delay=args.delay,
        revoke_delay=args.delay,
        smtp_host=args.smtp[0],
        smtp_port=args.smtp[1],
        sender=args.sender,
        maildir=str(Path(args.maildir).resolve()) if args.maildir else "",
    )
    init(args.dir, settings)
    print(f"simulator made in {args.dir}")
    print(f"  officer certificate: {args.dir / 'officer.pem'} (key: officer-key.pem)")
    print(f"  trust: {args.dir / 'ca.pem'}; settings: {args.dir / 'simulator.json'}")
    if not args.allowed_ou:
        print("  no --allowed-ou: every line will be refused with 371 until some are listed")
    return 0


def _serve(args: argparse.Namespace) -> int:
    host, port = args.listen
    public = args.public_listen or (host, port + 1)
    simulator = open_simulator(args.dir, public[1])
    running = start(simulator, args.listen, public)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(f"officer side: https://{host}:{port}/upki-odcert/lra/SSLLogin.do (client certificate)")
    print(f"one-time URLs and CRL: {simulator.authority.urls.base_url}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    running.stop()
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return _init(args) if args.action == "init" else _serve(args)
    except (SimulatorError, PkiError, OSError, ValueError) as exc:
        print(f"jitsuin upstream-sim: {exc}", file=sys.stderr)
        return 1
