"""Any `jitsuin` command on a site nobody has set up yet: on the embedded default (SQLite in
a fresh data directory) it applies the migrations first and works; on PostgreSQL without
tables it says in one line to run `jitsuin migrate` and fails, without a traceback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.serving import run_jitsuin, site_env

pytestmark = pytest.mark.slow


def test_ca_list_on_a_bare_data_directory_creates_the_database(tmp_path):
    env = site_env(tmp_path / "data")
    listed = run_jitsuin(env, "ca", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    assert "name" in listed.stdout and "status" in listed.stdout  # the (empty) table
    assert (tmp_path / "data" / "jitsuin.sqlite3").exists()


def test_ca_init_on_a_bare_data_directory_then_ca_list_shows_the_hierarchy(tmp_path):
    env = site_env(tmp_path / "data")
    made = run_jitsuin(env, "ca", "init")
    assert made.returncode == 0, made.stderr
    listed = run_jitsuin(env, "ca", "list")
    assert listed.returncode == 0, listed.stderr
    assert "root" in listed.stdout and "intermediate" in listed.stdout


def test_help_and_version_leave_a_bare_data_directory_without_a_database(tmp_path):
    env = site_env(tmp_path / "data")
    for args in (["--help"], ["--version"], ["ca", "--help"], ["ca", "list", "-h"]):
        done = run_jitsuin(env, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert not (tmp_path / "data" / "jitsuin.sqlite3").exists()


def _postgres_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres:", "postgresql:")):
        pytest.skip("needs a PostgreSQL server (DATABASE_URL=postgres://...)")
    return url.rsplit("/", 1)[0]


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A new database without tables on the server of DATABASE_URL; dropped afterwards."""
    import psycopg

    server = _postgres_server()
    name = f"jitsuin_bare_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.parametrize("args", [["ca", "list"], ["ca", "init"], ["worker", "--batch"]])
def test_a_postgresql_database_without_tables_asks_for_jitsuin_migrate(
    tmp_path, empty_postgres_database, args
):
    env = site_env(tmp_path / "data", DATABASE_URL=empty_postgres_database)
    done = run_jitsuin(env, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    message = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(message) == 1, done.stderr
    assert "run `jitsuin migrate`" in message[0]


@pytest.mark.postgres
def test_after_jitsuin_migrate_the_same_postgresql_database_works(
    tmp_path, empty_postgres_database
):
    env = site_env(tmp_path / "data", DATABASE_URL=empty_postgres_database)
    migrated = run_jitsuin(env, "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    listed = run_jitsuin(env, "ca", "list")
    assert listed.returncode == 0, listed.stderr
