"""``jitsuin relying-party sync``: argument parsing, the loop and the reload command.

Imported by jitsuin/cli/main.py before anything sets up Django: this runs on a RADIUS or VPN
host with no database and no settings.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jitsuin.agent.fetching import FetchFailed
from jitsuin.agent.reporting import Reporter, send_report
from jitsuin.agent.sync import Outcome, Source, sync_once

DESCRIPTION = """\
Keep a CA directory for FreeRADIUS (ca_file, ca_path) and nginx (ssl_client_certificate,
ssl_crl) in step with jitsuin: fetch every CA certificate and every CA's CRL (conditional
GETs), check each CRL's signature up to the pinned roots and that it is current, and only
then replace DIR in one rename. On any failure (jitsuin unreachable, an HTTP error, a bad
signature, a stale CRL, a root that is not pinned) the last good set stays and one line
says why. One line per change; nothing when nothing changed.

With --report-token-file, every pass is reported to jitsuin (this host's --name, whether it
worked, the CRLs it holds): the console lists relying parties and the helpdesk is told when
one falls behind. A failed report never touches DIR; it prints one line.

Exit status (one shot): 0 synced or nothing to do, 1 failed (last good set kept, the
reload command failed, or the report failed), 2 bad arguments."""

EPILOG = """\
example (a systemd timer or cron, every 5 minutes):
  jitsuin relying-party sync --url https://pki.example.ac.jp \\
      --roots /etc/jitsuin-pinned/roots.pem --dir /etc/jitsuin \\
      --reload-command "systemctl restart freeradius" \\
      --report-token-file /etc/jitsuin-pinned/report-token
docs/relying-parties.md has the systemd units."""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="jitsuin relying-party",
        description="Tools for a host that relies on jitsuin's certificates (RADIUS, VPN).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="sync")
    sync = commands.add_parser(
        "sync",
        help="keep a CA directory of roots and CRLs current, reload when it changed",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--url", required=True, help="jitsuin's public URL (https://...)")
    sync.add_argument(
        "--roots",
        required=True,
        type=Path,
        help="PEM file of the root certificates to trust (pinned: got out of band, never "
        "from jitsuin's answers)",
    )
    sync.add_argument(
        "--dir", required=True, type=Path, help="the CA directory to write, e.g. /etc/jitsuin"
    )
    sync.add_argument(
        "--reload-command",
        default="",
        help='run after a change, e.g. "systemctl restart freeradius" or "nginx -s reload"',
    )
    when = sync.add_mutually_exclusive_group()
    when.add_argument(
        "--interval", type=int, metavar="SECONDS", help="keep running, syncing this often"
    )
    when.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    sync.add_argument(
        "--max-skew",
        type=int,
        default=300,
        metavar="SECONDS",
        help="accept a CRL whose thisUpdate is this far in the future (clock skew; default 300)",
    )
    sync.add_argument(
        "--report-token-file",
        type=Path,
        metavar="FILE",
        help="report each pass to jitsuin with the API token (scope relying-party) in FILE "
        "(mode 600; never on the command line)",
    )
    sync.add_argument(
        "--name",
        default="",
        help="this host as jitsuin's console lists it (default: its fully qualified name)",
    )
    sync.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default 30)"
    )
    return top


def _say(line: str, *, failure: bool = False) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} {line}", file=sys.stderr if failure else sys.stdout, flush=True)


def _reload(command: str) -> bool:
    try:
        result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _say(f"reload command failed: {exc}", failure=True)
        return False
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        _say(f"reload command exited {result.returncode}: {detail[0]}", failure=True)
        return False
    _say(f"reloaded: {command}")
    return True


class _Reporting:
    """Reports each pass; says a failure once (a loop would repeat it every pass), and when
    reporting works again."""

    def __init__(self, reporter: Reporter | None) -> None:
        self.reporter = reporter
        self.failing = ""

    def after(self, source: Source, outcome: Outcome) -> bool:
        if self.reporter is None:
            return True
        error = "" if outcome.ok else "; ".join(outcome.lines)
        try:
            answer = send_report(self.reporter, ok=outcome.ok, error=error, target=source.target)
        except FetchFailed as exc:
            line = f"report to jitsuin failed: {exc}"
            if line != self.failing:
                _say(line, failure=True)
            self.failing = line
            return False
        if self.failing:
            _say(f"report to jitsuin works again (status: {answer.get('status', '?')})")
        self.failing = ""
        return True


def run(
    source: Source,
    *,
    reload_command: str,
    interval: int | None,
    reporter: Reporter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    reload_pending = False
    reporting = _Reporting(reporter)
    while True:
        outcome: Outcome = sync_once(source, now=clock())
        for line in outcome.lines:
            _say(line, failure=not outcome.ok)
        reload_pending = reload_pending or outcome.changed
        reloaded = True
        if reload_pending and reload_command:
            reloaded = _reload(reload_command)
        reload_pending = reload_pending and not reloaded
        reported = reporting.after(source, outcome)
        if interval is None:
            return 0 if outcome.ok and reloaded and reported else 1
        time.sleep(interval)


def _reporter(args: argparse.Namespace) -> Reporter | None:
    """None without --report-token-file; ValueError saying what is wrong with the file."""
    if args.report_token_file is None:
        return None
    try:
        token = args.report_token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read --report-token-file: {exc}") from exc
    if not token or any(c.isspace() for c in token):
        raise ValueError(f"--report-token-file {args.report_token_file} holds no single token")
    name = args.name or socket.getfqdn()
    return Reporter(url=args.url, token=token, name=name, timeout=args.timeout)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.interval is not None and args.interval < 1:
        parser().error("--interval must be at least 1 second")
    try:
        pinned = args.roots.read_bytes()
    except OSError as exc:
        print(f"jitsuin relying-party sync: cannot read --roots: {exc}", file=sys.stderr)
        return 2
    try:
        reporter = _reporter(args)
    except ValueError as exc:
        print(f"jitsuin relying-party sync: {exc}", file=sys.stderr)
        return 2
    source = Source(
        url=args.url,
        pinned_roots=pinned,
        target=args.dir,
        skew=timedelta(seconds=args.max_skew),
        timeout=args.timeout,
    )
    try:
        return run(
            source,
            reload_command=args.reload_command,
            interval=args.interval,
            reporter=reporter,
        )
    except KeyboardInterrupt:
        return 0
