"""`jitsuin serve` and other jitsuin commands as real processes, for the tests that need them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def site_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This environment with a site of its own: SQLite in ``data_dir``, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JITSUIN_DATA_DIR=str(data_dir), **settings)
    return env


def run_jitsuin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def serving(env: dict[str, str], *args: str, log: Path, timeout: float = 120) -> Iterator[str]:
    """``jitsuin serve`` on a free port until /healthz answers; yields its base URL and stops
    it afterwards. Its output goes to ``log``, which a failure to start shows."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jitsuin", "serve", "--port", str(port), *args],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"jitsuin serve did not come up:\n{log.read_text()}")
                    time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
