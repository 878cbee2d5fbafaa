"""A signer as a real process (`jitsuin signer serve`) with its own data directory and SQLite
database, for the two-process tests; and the RA side's settings that reach it."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.serving import ROOT, free_port, run_jitsuin

# The RA's variables and per-test ones stay out of the signer's environment.
_NOT_FOR_THE_SIGNER = ("DATABASE_URL", "JITSUIN_")


def signer_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_FOR_THE_SIGNER)}
    env.update(
        JITSUIN_DATA_DIR=str(data_dir),
        JITSUIN_PUBLIC_URL="https://ra.example.ac.jp",
        JITSUIN_ORGANIZATION="Example Signer",
        **settings,
    )
    return env


def must(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class SignerProcess:
    """One signer: made once (CA hierarchy, admin CA, server certificate), started, stopped,
    killed and started again on the same port and data directory."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.log = log
        self.port = free_port()
        self.env = signer_env(data_dir)
        self.process: subprocess.Popen[bytes] | None = None
        must(run_jitsuin(self.env, "ca", "init", "--key-type", "p256"))
        must(run_jitsuin(self.env, "signer", "init", "--host", "127.0.0.1"))

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def add_ra(self, name: str, *namespace: str, profiles: str = "client-auth") -> Path:
        output = self.data_dir.parent / f"ra-{name}"
        args = ["signer", "add-ra", name, "--profiles", profiles, "--output", str(output)]
        for item in namespace or ("example.ac.jp", "O=jitsuin"):
            args += ["--namespace", item]
        must(run_jitsuin(self.env, *args))
        return output

    def start(self, *options: str) -> None:
        env = self.env
        output = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jitsuin",
                "signer",
                "serve",
                "--listen",
                f"127.0.0.1:{self.port}",
                *options,
            ],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the signer stopped at start:\n{self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"the signer did not listen:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the signer's own database (SQLite in its data directory)."""
        with sqlite3.connect(self.data_dir / "jitsuin.sqlite3") as db:
            return list(db.execute(sql, params))


def ra_settings(signer: SignerProcess, credentials: Path) -> dict[str, str]:
    return {
        "JITSUIN_CONNECTORS": "builtin=jitsuin.connectors.remote:RemoteConnector",
        "JITSUIN_SIGNER_URL": signer.url,
        "JITSUIN_SIGNER_CLIENT_CERT": str(credentials / "client.pem"),
        "JITSUIN_SIGNER_CLIENT_KEY": str(credentials / "client.key"),
        "JITSUIN_SIGNER_CA": str(credentials / "signer-ca.pem"),
    }
