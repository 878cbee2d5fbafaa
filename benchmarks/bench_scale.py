"""Portal and console at 1,000,000 certificates on PostgreSQL, under 8 concurrent clients.

    python -m benchmarks scale           # 300,000 people, 1,000,000 certificates,
                                         # 2,000,000 request transitions (benchmarks.scale_data)
    BENCH_SCALE=0.1 python -m benchmarks scale      # a tenth
    BENCH_SECONDS=3 (per page)   BENCH_SCALE_CACHE=0 (generate afresh)
    BENCH_SCALE_CAMPAIGN=0 (the pages only)

The signed-in portal home and certificate page of one generated holder, the console's people
search (by uid, name, surname, e-mail, serial hex and decimal prefix) and the stuck-request
queue, each driven through granian (2 workers, as shipped) by 8 keep-alive connections with
the session cookies of a holder and of a helpdesk member; p50/p95 per page, target p95 < 100 ms.
Then the campaign over the same data (benchmarks.scale_campaign): plan, start, status.

The generated database is kept as a PostgreSQL template database (``jitsuin_scale_cache_*``,
with a copy of the site's key directory in the temp directory), keyed by the scale, the
generator's and the migrations' files and the day (the data's dates are relative to the day
it was made); the next run copies it instead of generating (seconds instead of minutes).
Older caches are dropped when a new one is made.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.httpload import free_port, granian_command, load, serving

ROOT = Path(__file__).resolve().parents[1]
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CACHE = os.environ.get("BENCH_SCALE_CACHE", "1") != "0"
CAMPAIGN = os.environ.get("BENCH_SCALE_CAMPAIGN", "1") != "0"
CONNECTIONS = 8
TARGET_MS = 100.0


def _cache_key() -> str:
    # The UTC day: Django sets the process's TZ to the site's when it starts.
    digest = hashlib.sha256(f"{SCALE}|{datetime.now(UTC).date()}".encode())
    for path in sorted(
        [*ROOT.glob("benchmarks/scale_*.py"), *ROOT.glob("jitsuin/*/migrations/*.py")]
    ):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def _restore(url: str, data_dir: Path) -> bool:
    """The cached database copied into ``url``'s, its keys into ``data_dir``; False if none."""
    cache = f"jitsuin_scale_cache_{_cache_key()}"
    keys = Path(tempfile.gettempdir()) / cache
    name = urlparse(url).path.lstrip("/")
    with _admin(url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cache]).fetchone():
            return False
        if not keys.is_dir():
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{cache}"')
    shutil.copytree(keys, data_dir, dirs_exist_ok=True)
    return True


def _keep(url: str, data_dir: Path) -> None:
    """Keep ``url``'s database (no connection open) and ``data_dir`` as the cache."""
    cache = f"jitsuin_scale_cache_{_cache_key()}"
    name = urlparse(url).path.lstrip("/")
    with _admin(url) as conn:
        for (old,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'jitsuin_scale_cache_%'"
        ).fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
            shutil.rmtree(Path(tempfile.gettempdir()) / old, ignore_errors=True)
        conn.execute(f'CREATE DATABASE "{cache}" TEMPLATE "{name}"')
    shutil.copytree(data_dir, Path(tempfile.gettempdir()) / cache, dirs_exist_ok=True)


def _data(url: str, data_dir: Path) -> None:
    """The generated site in ``url``'s database: from the cache, or generated (and cached)."""
    started = time.perf_counter()
    if CACHE and _restore(url, data_dir):
        print(f"generated data copied from the cache in {time.perf_counter() - started:.1f} s")
        return
    from django.db import connections

    from benchmarks.httpload import setup_django
    from benchmarks.scale_data import CERTIFICATES, PEOPLE, TRANSITIONS, generate

    setup_django()
    sizes = int(PEOPLE * SCALE), int(CERTIFICATES * SCALE), int(TRANSITIONS * SCALE)
    print(f"generating {sizes[0]:,} people, {sizes[1]:,} certificates, {sizes[2]:,} transitions")
    made = generate(*sizes)
    print(f"  generated in {made.seconds:.1f} s", flush=True)
    connections.close_all()
    if CACHE:
        _keep(url, data_dir)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres:", "postgresql:")) or "bench" not in urlparse(url).path:
        print("scale benchmark skipped: run it by `python -m benchmarks scale` (PostgreSQL)")
        return
    data_dir = Path(os.environ.setdefault("JITSUIN_DATA_DIR", tempfile.mkdtemp()))
    data_dir.mkdir(parents=True, exist_ok=True)
    _data(url, data_dir)

    from django.db import connections

    from benchmarks.httpload import setup_django
    from benchmarks.scale_pages import visitors

    setup_django()
    who = visitors()
    connections.close_all()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    pages = [(label, path, who.portal_cookie) for label, path in who.portal.items()]
    pages += [(label, path, who.console_cookie) for label, path in who.console.items()]
    print(
        f"scale: granian 2 workers, {CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per"
        f" page, {os.cpu_count()} cores; p95 target < {TARGET_MS:.0f} ms",
        flush=True,
    )
    # The peer: the portal's help page for the same holder, through the same middleware,
    # session and template engine, with no query of its own: the floor of a signed-in page
    # on this machine at this moment.
    pages.insert(0, ("peer: signed-in help page", "/help/", who.portal_cookie))
    sample = _get("/healthz", "")
    with serving(granian_command(port), port, sample, env=env, cwd=ROOT):
        for label, path, cookie in pages:
            request = [_get(path, cookie)]
            for _ in range(4):  # each worker's first answer compiles templates, opens the DB
                _answer(port, request[0])
            load(port, request, 1.0, clients=1, connections=CONNECTIONS)  # warm-up
            r = load(port, request, SECONDS, clients=1, connections=CONNECTIONS)
            verdict = "ok" if r["p95_ms"] < TARGET_MS else "OVER TARGET"
            print(
                f"  {label:<30} {r['rps']:>7.0f} req/s  p50 {r['p50_ms']:>7.1f} ms"
                f"  p95 {r['p95_ms']:>7.1f} ms  ({verdict})"
                + (f"  ({r['errors']:.0f} errors)" if r["errors"] else ""),
                flush=True,
            )
    if CAMPAIGN:
        from benchmarks.scale_campaign import measure

        measure()


def _answer(port: int, request: bytes) -> None:
    """One request on a connection of its own, answered (status 200) or failing loudly."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request.replace(b"keep-alive", b"close"))
        head = sock.recv(64)
        while sock.recv(65536):
            pass
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"{request.splitlines()[0]!r} answered {head[:32]!r}")


def _get(path: str, cookie: str) -> bytes:
    from django.conf import settings

    cookies = f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}\r\n" if cookie else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookies}Connection: keep-alive\r\n\r\n"
    ).encode()


if __name__ == "__main__":
    main()
