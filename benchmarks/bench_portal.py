"""The signed-in portal under granian as shipped (2 workers), 8 keep-alive connections.

A person with a few certificates (benchmarks/portal_site.py: revoked, valid and being
replaced, ready to download, an open request) signed in with a real session cookie. Measured
through the same server, middleware and session in one run:

  - ``/``: the home page (my certificates);
  - ``/certificates/<id>/``: the page of the certificate being replaced;
  - ``/bench/trivial/``: a signed-in page that does nothing else, the ceiling of this stack
    (benchmarks/portal_urls.py); each page's rate is given as a ratio to it.

    python -m benchmarks portal      (BENCH_SECONDS=3 per figure; PostgreSQL when one answers)

Issue 15's target: the home page >= 300 req/s on this 2-core machine (PostgreSQL, 8 connections).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from benchmarks.httpload import free_port, get_request, granian_command, load, serving, setup_django

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CLIENTS, CONNECTIONS = 2, 4  # 8 connections in all
ROOT = Path(__file__).resolve().parents[1]
TARGET = 300.0  # req/s of the home page (issue 15)


def _fetch(port: int, request: bytes) -> bytes:
    """One response, whole (the pages are small; the server says Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.replace(b"keep-alive", b"close"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def main() -> None:
    setup_django()
    from django.db import connection

    from benchmarks import portal_site

    site = portal_site.build()
    print(
        f"portal: {connection.vendor}, granian 2 workers, {CLIENTS * CONNECTIONS} keep-alive"
        f" connections, {SECONDS:.0f} s per figure, {os.cpu_count()} cores",
        flush=True,
    )
    connection.close()
    headers = f"Cookie: {site.session_cookie}\r\nAccept-Language: ja\r\n"
    paths = {
        "trivial signed-in view (ceiling)": "/bench/trivial/",
        "home page": "/",
        "certificate page": f"/certificates/{site.certificate_id}/",
    }
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    port = free_port()
    command = granian_command(port, "benchmarks.portal_wsgi:application")
    with serving(command, port, get_request("/bench/trivial/", headers), env=env, cwd=ROOT):
        for path in paths.values():
            answer = _fetch(port, get_request(path, headers))
            assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
            assert portal_site.UID.encode() in answer, f"{path}: not signed in"
        results = {}
        for name, path in paths.items():
            requests = [get_request(path, headers)]
            load(port, requests, 0.5, clients=CLIENTS, connections=CONNECTIONS)  # warm-up
            r = results[name] = load(
                port, requests, SECONDS, clients=CLIENTS, connections=CONNECTIONS
            )
            ceiling = results[next(iter(paths))]["rps"]
            print(
                f"  {name:<34} {r['rps']:>7.0f} req/s  p50 {r['p50_ms']:>6.1f} ms"
                f"  p95 {r['p95_ms']:>6.1f} ms  p99 {r['p99_ms']:>6.1f} ms"
                f"  {r['rps'] / ceiling:.2f}x the trivial view"
                + (f"  ({r['errors']:.0f} errors)" if r["errors"] else ""),
                flush=True,
            )
    home = results["home page"]["rps"]
    print(
        f"  home page: {home:.0f} req/s, target {TARGET:.0f}"
        f" ({'met' if home >= TARGET else 'not met'})",
        flush=True,
    )


if __name__ == "__main__":
    main()
