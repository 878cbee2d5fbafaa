"""The embedded default: `jitsuin serve` alone processes requests (its in-process worker)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jitsuin(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jitsuin", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_serve_processes_a_request_made_by_another_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JITSUIN_DATA_DIR=str(tmp_path), JITSUIN_DEMO="0", JITSUIN_SCHEDULER_INTERVAL="1s")
    port = _free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        jitsuin(env, "user", "add", "dave", "--email", "dave@example.ac.jp")
        assert "queued" in jitsuin(env, "issue", "dave")  # no --wait: serve's worker does it
        deadline = time.monotonic() + 90
        while "ready" not in jitsuin(env, "requests", "--state", "ready"):
            assert time.monotonic() < deadline, jitsuin(env, "requests")
            time.sleep(0.5)
        out = tmp_path / "dave.p12"
        text = jitsuin(env, "issue", "dave", "--out", str(out))  # the open request, collected
        assert out.stat().st_size > 1000 and "PIN: " in text
    finally:
        serve.terminate()
        serve.wait(timeout=20)
