"""A PostgreSQL restart while two workers and a web server run loses and doubles nothing."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.faults.conftest import QUEUE_ISSUES, counts, free_port, make_site, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


class Prober(threading.Thread):
    """GET /healthz every 0.2 s; remember (time, HTTP status, reported status)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.seen, self.running = base, [], True

    def run(self) -> None:
        while self.running:
            at = time.monotonic()
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as r:
                    self.seen.append((at, r.status, json.loads(r.read())))
            except urllib.error.HTTPError as e:
                self.seen.append((at, e.code, json.loads(e.read() or b"{}")))
            except OSError:
                self.seen.append((at, 0, {}))
            time.sleep(0.2)


def test_a_database_restart_loses_nothing_and_the_workers_live_on(pg_cluster, tmp_path):
    # A lease of 20 s: a task lost in the outage (its enqueue failed) is re-enqueued after one
    # lease, the stale rule derived from JITSUIN_LEASE.
    site = make_site(tmp_path, pg_cluster.url, JITSUIN_BUILTIN_DELAY="1s", JITSUIN_LEASE="20s")
    site.run("migrate", "-v", "0")
    site.run("ca", "init")
    port = free_port()
    serve = site.start("serve", "--port", str(port), name="serve")
    workers = [site.start("worker", "--interval", "0.2", name=f"w{i}") for i in range(2)]
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _healthy(base), 90, "serve to answer /healthz with its workers")
    prober = Prober(base)
    prober.start()
    try:
        site.python(QUEUE_ISSUES.format(n=30, prefix="before"))
        time.sleep(1.0)  # some processing, some waiting at the (delayed) upstream
        restarted_at = time.monotonic()
        pg_cluster.restart()
        pg_cluster.stop(mode="fast")  # then an outage long enough for /healthz to be asked
        time.sleep(2)
        pg_cluster.start()
        back_at = time.monotonic()
        site.python(QUEUE_ISSUES.format(n=10, prefix="after"))

        def all_ready():  # type: ignore[no-untyped-def]
            c = counts(site)
            return c if c["states"].get("ready") == 40 else None

        final = wait_for(all_ready, 120, "the 40 requests to be ready")
        wait_for(lambda: _healthy(base), 60, "/healthz ok after the restart")
    finally:
        prober.running = False
        prober.join(5)
        site.stop_all()

    # Nothing lost, nothing doubled.
    assert final["certificates"] == 40 and final["doubled"] == []
    assert final["duplicate_serials"] == 0
    # The workers rode it out: still running when stopped, one line per outage, no traceback.
    for proc in [serve, *workers]:
        assert proc.returncode in (0, -15), site.log(proc)[-3000:]
    for proc in workers:
        log = site.log(proc)
        assert "Traceback" not in log, log[-3000:]
        # Each outage a worker met between tasks is one line when it begins and one when it
        # ends; one that only cut a task short is the task's one-line warning (the pipeline's
        # "request N: database unavailable: ..." or a task "cut off by a database outage").
        outages = log.count("waiting for it to come back")
        cut_short = log.count("cut off by a database outage") + log.count(
            ": database unavailable: "
        )
        assert 1 <= outages + cut_short, log[-3000:]
        assert outages <= 2 and log.count("database back") == outages, log[-3000:]
    # /healthz was honest: never "ok" while the database was away, and never a 500.
    assert all(status != 500 for _, status, _ in prober.seen)
    during = [s for at, s, body in prober.seen if restarted_at <= at <= back_at]
    assert during and any(s != 200 for s in during), prober.seen
    assert all(body.get("status") != "ok" for _, s, body in prober.seen if s == 503)


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            body = json.loads(r.read())
    except (OSError, ValueError):
        return False
    pipeline = body["checks"]["pipeline"]["detail"]
    return body["status"] == "ok" and pipeline.get("workers_alive", 0) >= 3
