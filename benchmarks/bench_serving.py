"""/crl/*, /ca/* and /healthz under granian as shipped (2 workers), three ways in one run:

  - jitsuin.wsgi as shipped: served from process memory before Django (served.PublicWsgi);
  - the Django views through the whole middleware stack, as before (benchmarks.views_wsgi,
    JITSUIN_PUBLIC_CACHE_TTL=0: /healthz runs every check on every request);
  - nginx (2 workers) serving the same bytes as static files: the physical peer.

The three servers run side by side and each path is measured on the three in turn, so a
machine loaded by something else loads all three alike; compare the ratios.

    python -m benchmarks serving      (BENCH_SECONDS=3 per measurement, 2 load processes x 8
                                       keep-alive connections = 16, as in issue 15)
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

from benchmarks.httpload import (
    free_port,
    get_request,
    granian_command,
    load,
    nginx_binary,
    nginx_config,
    serving,
    setup_django,
)

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CLIENTS, CONNECTIONS = 2, 8  # 16 connections in all
ROOT = Path(__file__).resolve().parents[1]


def _site() -> tuple[list[str], dict[str, bytes]]:
    """A hierarchy with its CRLs published; the measured paths and the bytes each serves."""
    from django.db import connection

    from jitsuin.authorities.publishing.crl import refresh_crls
    from jitsuin.authorities.services import init_hierarchy
    from jitsuin.revocation import served

    hierarchy = init_hierarchy()
    refresh_crls()
    paths = [f"/crl/{hierarchy.intermediate.slug}.crl", "/crl/bundle.pem", "/ca/bundle.pem"]
    bodies = {}
    for path in paths:
        published = served.build(path)
        assert published is not None
        bodies[path] = published.body
    bodies["/healthz"] = served.health_answer()[1]
    print(
        f"serving: {connection.vendor}, granian 2 workers, {CLIENTS * CONNECTIONS} keep-alive"
        f" connections, {SECONDS:.0f} s per figure, {os.cpu_count()} cores; sizes: "
        + ", ".join(f"{p} {len(b)} B" for p, b in bodies.items()),
        flush=True,
    )
    connection.close()
    return [*paths, "/healthz"], bodies


def main() -> None:
    setup_django()
    paths, bodies = _site()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp, ExitStack() as servers:
        workdir = Path(tmp)
        ports: dict[str, int] = {}
        sample = get_request("/ca/bundle.pem")
        for label, target, extra in (
            ("memory", "jitsuin.wsgi:application", {}),
            ("django", "benchmarks.views_wsgi:application", {"JITSUIN_PUBLIC_CACHE_TTL": "0"}),
        ):
            ports[label] = free_port()
            command = granian_command(ports[label], target)
            servers.enter_context(
                serving(command, ports[label], sample, env=dict(env, **extra), cwd=ROOT)
            )
        nginx = nginx_binary()
        if nginx:
            static = workdir / "static"
            for path, body in bodies.items():
                (static / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
                (static / path.lstrip("/")).write_bytes(body)
            ports["nginx"] = free_port()
            conf = nginx_config(workdir, ports["nginx"], static, "application/octet-stream")
            servers.enter_context(
                serving([nginx, "-c", str(conf), "-p", str(workdir)], ports["nginx"], sample)
            )
        else:
            print("  nginx not found: no physical peer", flush=True)
        names = {
            "memory": "jitsuin.wsgi (from memory)",
            "django": "Django views (as before)",
            "nginx": "nginx static file",
        }
        for path in paths:
            requests = [get_request(path)]
            print(f"  {path}", flush=True)
            results = {}
            for label, port in ports.items():
                load(port, requests, 0.5, clients=CLIENTS, connections=CONNECTIONS)  # warm-up
                results[label] = load(
                    port, requests, SECONDS, clients=CLIENTS, connections=CONNECTIONS
                )
                r = results[label]
                print(
                    f"    {names[label]:<28} {r['rps']:>8.0f} req/s  p50 {r['p50_ms']:>6.2f} ms"
                    f"  p99 {r['p99_ms']:>6.2f} ms"
                    + (f"  ({r['errors']:.0f} errors)" if r["errors"] else ""),
                    flush=True,
                )
            ratios = [
                f"{results['memory']['rps'] / results['django']['rps']:.1f}x the Django views"
            ]
            if "nginx" in results:
                ratios.append(f"{results['memory']['rps'] / results['nginx']['rps']:.2f}x nginx")
            print("    from memory: " + ", ".join(ratios), flush=True)


if __name__ == "__main__":
    main()
