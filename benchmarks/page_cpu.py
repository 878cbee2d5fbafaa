"""CPU and wall time of one request of each page at scale, in process (no server, no load).

The pages' cost in Python (templates, presenters, the ORM) is what decides their rate on two
cores; this measures it without a server or other clients, one request after the other,
as the holder and the operator that ``scale_pages.visitors`` signs in. Run it on a database
``scale_data`` filled (the scale benchmark's cached one, or your own)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jitsuin_scale \\
        .venv/bin/python -m benchmarks.page_cpu              # every page, 30 requests each
    ... -m benchmarks.page_cpu 50 /console/ /console/requests/stuck/

Prints p50 and p95 of CPU and wall per page. To compare two versions of the code, run it
from each tree on the same database, alternating.
"""

from __future__ import annotations

import statistics
import sys
import time


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> int:
    from benchmarks.httpload import setup_django

    setup_django()
    from django.conf import settings
    from django.test import Client

    from benchmarks.scale_pages import visitors

    count = int(argv[0]) if argv and argv[0].isdigit() else 30
    asked = [a for a in argv if not a.isdigit()]
    who = visitors()
    pages = [(label, path, who.portal_cookie) for label, path in who.portal.items()]
    pages += [(label, path, who.console_cookie) for label, path in who.console.items()]
    if asked:
        cookie = who.console_cookie
        pages = [(path, path, who.portal_cookie if not path.startswith("/console") else cookie)
                 for path in asked]  # fmt: skip
    for label, path, cookie in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        for _ in range(3):  # warm: templates, prepared statements, caches
            answer = client.get(path)
            if answer.status_code != 200:
                print(f"{label}: {path} answered {answer.status_code}", file=sys.stderr)
                return 1
        cpu, wall = [], []
        for _ in range(count):
            started, used = time.perf_counter(), time.process_time()
            client.get(path)
            cpu.append(time.process_time() - used)
            wall.append(time.perf_counter() - started)
        print(
            f"{label:<30} CPU p50 {statistics.median(cpu) * 1000:6.1f} ms"
            f" p95 {_percentile(cpu, 0.95) * 1000:6.1f}   wall p50"
            f" {statistics.median(wall) * 1000:6.1f} ms p95 {_percentile(wall, 0.95) * 1000:6.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
