"""The database schema before a ``jitsuin`` command runs.

On the embedded default (SQLite in JITSUIN_DATA_DIR) a command applies any pending
migrations first, as ``jitsuin serve`` does, so every command works on a bare data
directory. On PostgreSQL the schema belongs to the operator (``jitsuin migrate`` in the
deployment, see docs/deployment.md): a command that finds migrations not applied stops
with one line saying so instead of failing later on a missing table.
"""

from __future__ import annotations

import django
from django.core.management import call_command, get_commands
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Commands that manage the schema themselves, or need no tables: they run untouched.
# `jitsuin check` is not among them: it is jitsuin's certificate check (it replaces
# Django's system check) and looks issuers up in the database like any other command.
LEAVES_SCHEMA_ALONE = frozenset(
    {
        # the schema is their subject
        "migrate",
        "makemigrations",
        "squashmigrations",
        "optimizemigration",
        "showmigrations",
        "sqlmigrate",
        "sqlflush",
        "sqlsequencereset",
        "inspectdb",
        "dbshell",
        # serve applies migrations itself, on PostgreSQL too (docs/deployment.md)
        "serve",
        # a database of their own, or none at all
        "test",
        "testserver",
        "makemessages",
        "compilemessages",
        "collectstatic",
        "findstatic",
        "diffsettings",
        "startapp",
        "startproject",
        "sendtestemail",
    }
)
_HELP = frozenset({"-h", "--help"})


class SchemaNotReady(Exception):
    """The PostgreSQL database lacks migrations this version needs; `jitsuin migrate` adds them."""


def ensure_schema(args: list[str]) -> None:
    """Before ``jitsuin ARGS`` runs: bring the schema up to date on SQLite, or raise
    SchemaNotReady on another database that lacks migrations. Help pages, ``--version``,
    unknown commands and LEAVES_SCHEMA_ALONE are left alone (and set nothing up)."""
    if not args or args[0].startswith("-") or args[0] in LEAVES_SCHEMA_ALONE:
        return
    if _HELP.intersection(args):
        return
    django.setup()  # get_commands() needs the app registry; Django's own setup repeats it
    if args[0] in get_commands():
        prepare_schema()


def prepare_schema() -> None:
    """Bring the schema up to date on SQLite; on other databases raise SchemaNotReady when
    any migration is not applied. With nothing pending it costs one query and reading the
    migration files (about 30 ms)."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not pending:
        return
    if connection.vendor == "sqlite":
        call_command("migrate", interactive=False, verbosity=0)
        return
    if not executor.loader.applied_migrations:
        raise SchemaNotReady(
            "the database in DATABASE_URL has no jitsuin tables yet: run `jitsuin migrate` first."
        )
    raise SchemaNotReady(
        f"the database in DATABASE_URL lacks {len(pending)} migration(s) of this version: "
        "run `jitsuin migrate` first."
    )
