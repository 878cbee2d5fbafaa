"""The signed-in portal under granian as shipped (2 workers), 8 keep-alive connections.

A person with a few certificates (benchmarks/portal_site.py: revoked, valid and being
replaced, ready to download, an open request) signed in with a real session cookie. Measured
through the same server, middleware and session in one run:

  - ``/``: the home page (my certificates);
  - ``/certificates/<id>/``: the page of the certificate being replaced;
  - ``/bench/trivial/``: a signed-in page that does nothing else, the ceiling of this stack
    (benchmarks/portal_urls.py); each page's rate is given as a ratio to it.

    python -m benchmarks portal      (BENCH_SECONDS=3 per figure; PostgreSQL when one answers)

BENCH_PORTAL_BASELINE=DIR: also serve the same site with the code in DIR (an export of an
earlier commit: ``git archive COMMIT | tar -x -C DIR``) on a second granian, measured in the
same run, page by page in turn: before and after side by side on a machine loaded alike.
BENCH_ROUNDS=N measures each page N times, alternating, and compares the medians.

Issue 15's target: the home page >= 300 req/s on this 2-core machine (PostgreSQL, 8 connections).
"""

from __future__ import annotations

import os
import socket
import statistics
from contextlib import ExitStack
from pathlib import Path

from benchmarks.httpload import free_port, get_request, granian_command, load, serving, setup_django

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))  # each page this many times, in turn
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
    servers = {"": (ROOT, "benchmarks.portal_wsgi:application")}
    baseline = os.environ.get("BENCH_PORTAL_BASELINE")
    if baseline:
        servers["before: "] = (Path(baseline).resolve(), "jitsuin.wsgi:application")
    ports = {label: free_port() for label in servers}
    results: dict[str, list[float]] = {}
    with ExitStack() as running:
        for label, (tree, target) in servers.items():
            env = dict(os.environ, PYTHONPATH=str(tree))
            command = granian_command(ports[label], target)
            sample = get_request("/", headers)
            running.enter_context(serving(command, ports[label], sample, env=env, cwd=tree))
            for path in paths.values() if not label else list(paths.values())[1:]:
                answer = _fetch(ports[label], get_request(path, headers))
                assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
                assert portal_site.UID.encode() in answer, f"{label}{path}: not signed in"
        for name, path in paths.items():
            for round_ in range(ROUNDS):  # alternating: a burst of load elsewhere hits both
                for label in servers:
                    if label and path == "/bench/trivial/":
                        continue  # the ceiling is the stack's, measured on the new code
                    requests = [get_request(path, headers)]
                    port = ports[label]
                    load(port, requests, 0.5, clients=CLIENTS, connections=CONNECTIONS)
                    r = load(port, requests, SECONDS, clients=CLIENTS, connections=CONNECTIONS)
                    results.setdefault(label + name, []).append(r["rps"])
                    ceiling = statistics.median(results[next(iter(paths))])
                    print(
                        f"  {label + name:<34} {r['rps']:>7.0f} req/s  p50 {r['p50_ms']:>6.1f} ms"
                        f"  p95 {r['p95_ms']:>6.1f} ms  p99 {r['p99_ms']:>6.1f} ms"
                        f"  {r['rps'] / ceiling:.2f}x the trivial view"
                        + (f"  ({r['errors']:.0f} errors)" if r["errors"] else "")
                        + (f"  (round {round_ + 1})" if ROUNDS > 1 else ""),
                        flush=True,
                    )
            if baseline and not path.startswith("/bench/"):
                after = statistics.median(results[name])
                before = statistics.median(results["before: " + name])
                print(f"  {name}: {after / before:.1f}x before (medians)", flush=True)
    home = statistics.median(results["home page"])
    print(
        f"  home page: {home:.0f} req/s, target {TARGET:.0f}"
        f" ({'met' if home >= TARGET else 'not met'})",
        flush=True,
    )


if __name__ == "__main__":
    main()
