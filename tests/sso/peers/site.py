"""jitsuin as an IT center runs it for these tests: `jitsuin serve` as a real process, on a
PostgreSQL database of its own, its directory filled through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.sso.peers.processes import running

ROOT = Path(__file__).resolve().parents[3]
SERVER = "postgres://postgres@127.0.0.1:5432"


@contextmanager
def own_database(name: str) -> Iterator[str]:
    """A new, empty database ``name`` on the CI's PostgreSQL server; dropped afterwards."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Site:
    """One jitsuin installation: its environment (database, data dir, SSO variables)."""

    env: dict[str, str]
    data_dir: Path
    port: int
    _server: AbstractContextManager[object] | None = None

    @classmethod
    def make(cls, data_dir: Path, database_url: str, port: int, **settings: str) -> Site:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JITSUIN_", "DATABASE_"))}
        env.update(
            DATABASE_URL=database_url,
            JITSUIN_DATA_DIR=str(data_dir),
            JITSUIN_DEMO="0",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
            **settings,
        )
        return cls(env=env, data_dir=data_dir, port=port)

    def cli(self, *args: str) -> str:
        """``jitsuin ARGS`` in a process of its own; its output (a failure fails the test)."""
        done = subprocess.run(
            [sys.executable, "-m", "jitsuin", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"jitsuin {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    def start(self, **settings: str) -> None:
        """``jitsuin serve`` on ``self.port`` with ``settings`` added, until ``stop``."""
        self.stop()
        argv = [sys.executable, "-m", "jitsuin", "serve", "--port", str(self.port)]
        server = running(
            argv, port=self.port, log=self.data_dir / "serve.log",
            env={**self.env, **settings}, cwd=ROOT, timeout=120,
        )  # fmt: skip
        server.__enter__()
        self._server = server

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.__exit__(None, None, None)

    @contextmanager
    def restarted(self, **settings: str) -> Iterator[None]:
        """The server restarted with ``settings`` for the block, then as before."""
        self.start(**settings)
        try:
            yield
        finally:
            self.start()

    def log(self, log_name: str = "serve") -> str:
        return (self.data_dir / f"{log_name}.log").read_text(errors="replace")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the site's database (read-only use: the tests look, not touch)."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]
