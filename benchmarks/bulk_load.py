"""Loading many rows into PostgreSQL fast: COPY through psycopg 3, the indexes built after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def copy_rows(cursor: Any, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY ``rows`` into ``table``; prints and returns the rows written."""
    started, written = time.perf_counter(), 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    seconds = time.perf_counter() - started
    print(
        f"  {table:<32} {written:>10,} rows in {seconds:6.1f} s  ({written / seconds:,.0f} rows/s)"
    )
    return written


@contextmanager
def indexes_built_after(cursor: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """The secondary indexes, unique and foreign-key constraints of ``tables`` dropped while
    their rows are loaded, and built once afterwards (as pg_restore does): maintaining random
    B-trees (serials, fingerprints) row by row is what makes a COPY slow. Primary keys stay."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
        " FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')"
        " ORDER BY contype",  # foreign keys first
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    # Inside a transaction (a test's), deferred checks of earlier rows must run before ALTER.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for _name, definition in indexes:
        cursor.execute(definition)
    for table, name, definition, _kind in reversed(constraints):  # unique ones first
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    print(
        f"  {len(indexes)} indexes and {len(constraints)} constraints built in"
        f" {time.perf_counter() - started:.1f} s"
    )
