"""Run every benchmark module (``bench_*.py``) in this package, or the ones named.

python -m benchmarks              # all
python -m benchmarks pipeline ocsp

Each benchmark runs in a process of its own on a throwaway site (benchmarks/sites.py): a
fresh data directory with its SQLite database, whatever the shell's DATABASE_URL or
JITSUIN_DATA_DIR say, so a fresh clone and a directory where `make run` left its demo
database give the same run. The campaign benchmark gets a throwaway PostgreSQL database on
BENCH_POSTGRES (postgres://postgres@127.0.0.1:5432) and is skipped, saying why, when none
answers; BENCH_DATABASE=postgres gives every benchmark one.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import benchmarks
from benchmarks.sites import POSTGRES_SERVER, postgres_absent, site_env, throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
NEEDS_POSTGRES = frozenset(  # PostgreSQL plans at scale
    {"bench_campaign", "bench_scale", "bench_campaign_peak"}
)
# On PostgreSQL when one answers (as deployed), else on SQLite, saying so.
PREFERS_POSTGRES = frozenset({"bench_serving", "bench_portal", "bench_crl"})


def _run_one(name: str, everywhere_postgres: bool) -> bool:
    """Run one benchmark module's ``main()`` on a throwaway site; True if it did not fail."""
    wants_postgres = everywhere_postgres or name in NEEDS_POSTGRES
    if name in PREFERS_POSTGRES and not wants_postgres:
        absent = postgres_absent()
        wants_postgres = absent is None
        if absent is not None:
            print(f"on SQLite: {absent}", flush=True)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jitsuin-bench-")))
        database_url = None
        if wants_postgres:
            absent = postgres_absent()
            if absent is not None:
                print(
                    f"skipped: {absent}; set BENCH_POSTGRES=postgres://USER@HOST:PORT", flush=True
                )
                return not everywhere_postgres
            database_url = stack.enter_context(throwaway_postgres(name.removeprefix("bench_")))
        done = subprocess.run(
            [sys.executable, "-c", f"from benchmarks.{name} import main; main()"],
            env=site_env(data_dir / "data", database_url, os.environ),
            cwd=ROOT,
            check=False,
        )
        return done.returncode == 0


def main(argv: list[str]) -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    everywhere_postgres = os.environ.get("BENCH_DATABASE", "sqlite") == "postgres"
    if everywhere_postgres:
        print(f"every benchmark on a throwaway PostgreSQL database on {POSTGRES_SERVER}")
    failed = []
    for name in names:
        print(f"\n=== {name.removeprefix('bench_')} ===", flush=True)
        started = time.perf_counter()
        if not _run_one(name, everywhere_postgres):
            failed.append(name)
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
