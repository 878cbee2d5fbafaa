"""A throwaway site for each benchmark: its own data directory and, where one is wanted, its
own PostgreSQL database, so a benchmark never meets the operator's site (``make run``'s demo
database, a DATABASE_URL in the shell) and never leaves anything behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# The PostgreSQL server on which throwaway databases are made (trust or a password in the URL).
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Settings a benchmark may take from the shell: its own knobs. Every other JITSUIN_* describes
# the operator's site (its database, keys, mail server, audit log) and is left out.
KNOBS = frozenset({"JITSUIN_BENCH_SCALE", "JITSUIN_KEY_POOL", "JITSUIN_REQUIRE_PEERS"})


def site_env(data_dir: Path, database_url: str | None, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without the operator's site, plus a site of its own in ``data_dir``."""
    env = {
        name: value
        for name, value in base.items()
        if name != "DATABASE_URL" and (not name.startswith("JITSUIN_") or name in KNOBS)
    }
    env.update(JITSUIN_DATA_DIR=str(data_dir), JITSUIN_DEMO="0")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def postgres_absent(server: str = POSTGRES_SERVER) -> str | None:
    """Why no throwaway database can be made on ``server`` (one line), or None if one can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL answers at {server} ({reason})"
    return None


@contextmanager
def throwaway_postgres(label: str, server: str = POSTGRES_SERVER) -> Iterator[str]:
    """A new, empty database on ``server`` (its name contains "bench"); yields its URL and
    drops it afterwards, even with connections still open."""
    import psycopg

    name = f"jitsuin_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = f"{server}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
