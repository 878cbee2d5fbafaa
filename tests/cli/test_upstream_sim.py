"""`jitsuin upstream-sim init|serve`: no database or settings needed, --help for each, bad
input as one line, and the served simulator answering the officer over mutual TLS."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jitsuin.upstream.simulator.officer import LOGIN
from tests.cli.test_bad_input import assert_message
from tests.notify.smtp import free_port
from tests.upstream.sim import context, fetch

ROOT = Path(__file__).resolve().parents[2]
NO_DATABASE = "postgres://nobody@127.0.0.1:1/none"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JITSUIN_", "DATABASE_"))}
    return {**env, "DATABASE_URL": NO_DATABASE, "DJANGO_SETTINGS_MODULE": "nowhere.settings"}


def jitsuin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", "upstream-sim", *args],
        env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize("args", [["--help"], ["init", "--help"], ["serve", "--help"]])
def test_each_command_explains_itself(args) -> None:
    done = jitsuin(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: jitsuin upstream-sim")


def test_init_makes_the_ca_the_certificates_and_private_keys(tmp_path) -> None:
    done = jitsuin("init", "--dir", str(tmp_path / "sim"), "--allowed-ou", "情報環境機構")
    assert done.returncode == 0, done.stderr
    for name in ("ca-key.pem", "server-key.pem", "officer-key.pem", "officer.pem"):
        assert stat.S_IMODE((tmp_path / "sim" / name).stat().st_mode) == 0o600
    assert "情報環境機構" in (tmp_path / "sim" / "simulator.json").read_text(encoding="utf-8")


def test_bad_input_is_one_line(tmp_path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert_message(jitsuin("init", "--dir", str(tmp_path / "full")), "not empty")
    assert_message(
        jitsuin("serve", "--dir", str(tmp_path / "none"), "--listen", "127.0.0.1:1"),
        "not a simulator directory",
    )
    assert jitsuin("init", "--dir", str(tmp_path / "sim")).returncode == 0
    (tmp_path / "sim" / "simulator.json").write_text('{"delay": 1}')
    assert_message(
        jitsuin("serve", "--dir", str(tmp_path / "sim"), "--listen", "127.0.0.1:1"),
        "unknown settings delay",
    )
    (tmp_path / "sim" / "simulator.json").write_text('{"issue_delay": "soon"}')
    assert_message(
        jitsuin("serve", "--dir", str(tmp_path / "sim"), "--listen", "127.0.0.1:1"),
        "issue_delay must be a float",
    )


def test_serve_answers_the_officer_and_stops_on_sigterm(tmp_path) -> None:
    assert jitsuin("init", "--dir", str(tmp_path / "sim")).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "upstream-sim", "serve", "--dir", str(tmp_path / "sim"),
         "--listen", f"127.0.0.1:{port}", "--public-listen", f"127.0.0.1:{free_port()}"],
        env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 20, None
        while answer is None and time.monotonic() < deadline:
            try:
                answer = fetch(f"https://127.0.0.1:{port}{LOGIN}", context(tmp_path / "sim"))
            except OSError:
                time.sleep(0.2)
        assert answer is not None and answer.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0, server.stderr.read() if server.stderr else ""
