"""The UPKI simulator under a 500-line batch: the upload's answer over mutual TLS, and the
998 signed notices it causes reaching a local SMTP server.

Peers measured in the same run: the same file checked in-process (no HTTP, TLS or page),
and the same notices composed and signed in-process (no SMTP, no SQLite).

    python -m benchmarks upstream_sim
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

LINES = 500


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jitsuin.upstream.applications import ApplyType, to_tsv
    from jitsuin.upstream.results import parse_result_page
    from jitsuin.upstream.simulator import notices
    from jitsuin.upstream.simulator.intake import check_file
    from jitsuin.upstream.simulator.officer import UPLOAD
    from tests.upstream.sim import Mailbox, context, fetch, make, serve
    from tests.upstream.test_simulator_upload import application

    lines = [
        replace(application(f"ﾕｰｻﾞ{i:04d}"), user_email=f"user{i}@example.ac.jp")
        for i in range(LINES)
    ]
    lines[7] = application("BAD", ou="未登録部局")
    data = to_tsv(lines)
    with tempfile.TemporaryDirectory() as directory, Mailbox() as mailbox:
        make(Path(directory) / "sim", mailbox.port, issue_delay=0.0)
        service = serve(Path(directory) / "sim")
        try:
            simulator = service.running.simulator
            start = time.perf_counter()
            checked = check_file(
                data, ApplyType.ISSUE, simulator.settings, taken=lambda _k: False,
                by_serial=lambda _s: None,
            )  # fmt: skip
            in_process = time.perf_counter() - start
            start = time.perf_counter()
            answer = fetch(
                service.officer_url + UPLOAD, context(service.directory),
                form={"applyType": "1", "errorFlg": "2"}, files={"file": data},
            )  # fmt: skip
            uploaded = time.perf_counter() - start
            result = parse_result_page(answer.body)
            assert sum(not line.ok for line in result.lines) == 1 == checked.has_errors
            start = time.perf_counter()
            while len(mailbox.handler.received) < 2 * (LINES - 1):
                time.sleep(0.05)
                if time.perf_counter() - start > 120:
                    raise SystemExit("the notices did not arrive within 120 s")
            delivered = time.perf_counter() - start
            start = time.perf_counter()
            for line in lines[: LINES - 1]:
                notices.access_pin(
                    simulator.settings, simulator.authority.sign_mail, to=line.admin_email,
                    dn=line.dn, url="https://x/y?t=1", expires="",
                )  # fmt: skip
                notices.issue_accepted(
                    simulator.settings, simulator.authority.sign_mail, to=line.user_email,
                    name=line.user_name, url="https://x/y?t=1", expires="",
                )  # fmt: skip
            composed = time.perf_counter() - start
        finally:
            service.stop()
    print(
        f"upload of {LINES} lines over mutual TLS: {uploaded:.2f} s "
        f"({uploaded / in_process:.1f}x checking the file in-process, {in_process:.3f} s)"
    )
    print(
        f"{2 * (LINES - 1)} signed notices delivered over SMTP: {delivered:.2f} s "
        f"({delivered / composed:.1f}x composing and signing them in-process, {composed:.2f} s)"
    )
