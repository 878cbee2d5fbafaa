"""django-ca 3.2 as a benchmark peer: its own virtualenv (``.venv-bench-djangoca/``, made on
first use from django-ca-requirements.txt), its own Django project (djangoca_settings.py) and
database, driven through djangoca_driver.py in a separate process.

    with DjangoCaPeer.start(database_url) as peer:   # None: SQLite in a temporary directory
        peer.issue(50)  # {"n": 50, "seconds": ..., "cpu": ..., "queries": ...}

``start`` raises ``PeerUnavailable`` (one line: why) when the virtualenv cannot be built.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".venv-bench-djangoca"
REQUIREMENTS = HERE / "django-ca-requirements.txt"


class PeerUnavailable(Exception):
    """The peer cannot run here (its virtualenv could not be built, or it did not start)."""


def _python() -> Path:
    """The peer's interpreter, building its virtualenv when the requirements changed."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    print(f"building the django-ca peer's virtualenv in {VENV} (once) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False, timeout=900)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PeerUnavailable(f"{' '.join(step[:4])} failed: {tail[0]}")
    stamp.write_text(wanted + "\n")
    return python


class DjangoCaPeer:
    def __init__(self, process: subprocess.Popen[str], version: str) -> None:
        self.process = process
        self.version = version

    @classmethod
    @contextmanager
    def start(cls, database_url: str | None) -> Iterator[DjangoCaPeer]:
        python = _python()
        with tempfile.TemporaryDirectory(prefix="jitsuin-bench-djangoca-") as work:
            env = {
                key: value
                for key, value in os.environ.items()
                if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
            }
            env.update(DJANGOCA_BENCH_DIR=work, DJANGO_SETTINGS_MODULE="djangoca_settings")
            if database_url:
                env["DATABASE_URL"] = database_url
            process = subprocess.Popen(
                [str(python), str(HERE / "djangoca_driver.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=work,
            )
            try:
                first = process.stdout.readline() if process.stdout else ""
                if not first:
                    raise PeerUnavailable("the django-ca driver exited before it was ready")
                yield cls(process, json.loads(first).get("django_ca", "?"))
            finally:
                if process.stdin:
                    process.stdin.close()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def issue(self, n: int) -> dict[str, Any]:
        """Issue ``n`` certificates from P-256 CSRs with create_cert; the driver's figures."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{n}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise PeerUnavailable("the django-ca driver stopped")
        result: dict[str, Any] = json.loads(line)
        return result
