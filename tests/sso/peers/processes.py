"""Peer programs as real processes: started with a log file, awaited on their port, stopped."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@contextmanager
def running(
    argv: Sequence[str],
    *,
    port: int,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> Iterator[subprocess.Popen[bytes]]:
    """``argv`` running until the block ends; entered once it accepts connections on ``port``.
    A program that exits or stays deaf fails the test with its log."""
    with log.open("ab") as output:  # a restart adds to the log
        process = subprocess.Popen(
            list(argv), env=dict(env) if env is not None else None, cwd=cwd,
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + timeout
            while not port_open(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{argv[0]} did not come up on port {port}:\n{log.read_text()}")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
