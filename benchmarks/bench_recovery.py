"""Time to recover: after a worker is SIGKILLed holding a request, and after a database restart.

Runs on a throwaway PostgreSQL cluster of its own (pg_ctl in a temporary directory, as
tests/faults does), so the main database is never restarted. Needs pg_ctl
(/usr/lib/postgresql/*/bin); prints "skipped" without it.

- SIGKILL: a worker signs and hangs before recording (tests/chaos/,
  CHAOS_FAIL=hang-after-sign) holding the lease; a second worker runs; the first is killed.
  Measured: kill -> ready.
  Target: p95 <= JITSUIN_LEASE + one sweep interval (here 10 s + 5 s).
- Database restart: two workers idle; `pg_ctl restart -m fast`; a request queued as soon as
  the database is back. Measured: restart start -> that request ready, workers alive after.

    python -m benchmarks recovery            # BENCH_KILLS=5 by default
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEASE, SWEEP = 10.0, 5.0


def _state(conn, request_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    row = conn.execute(
        "select state, lease_owner from lifecycle_request where id = %s", (request_id,)
    ).fetchone()
    return (row[0], row[1]) if row else ("", "")


def _wait(predicate, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.chaos import chaos_env
    from tests.faults.conftest import Cluster, _pg_bin, free_port, make_site

    pg_bin = _pg_bin()
    if pg_bin is None:
        print("skipped: pg_ctl is not installed (/usr/lib/postgresql/*/bin)")
        return
    import psycopg

    directory = Path(tempfile.mkdtemp(prefix="jitsuin-bench-pg-"))
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        subprocess.run(["chown", "postgres", str(directory)], check=True)
    subprocess.run(
        [*prefix, str(pg_bin / "initdb"), "-D", str(directory / "data"), "-U", "postgres",
         "--auth=trust"], check=True, capture_output=True,
    )  # fmt: skip
    cluster = Cluster(bin=pg_bin, dir=directory, port=free_port())
    cluster.start()
    data = Path(tempfile.mkdtemp(prefix="jitsuin-bench-"))
    site = make_site(
        data, cluster.url, JITSUIN_LEASE=f"{LEASE:.0f}s", JITSUIN_SWEEP_INTERVAL=f"{SWEEP:.0f}s"
    )
    try:
        site.run("migrate", "-v", "0")
        site.run("ca", "init")
        conn = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres", autocommit=True)
        queue = (
            "from jitsuin.lifecycle import people, services\n"
            "import uuid\n"
            "p = people.add_person('b' + uuid.uuid4().hex[:8], email='b@example.ac.jp', "
            "actor='bench')\n"
            "print('ID', services.request_issue(p, actor='bench', "
            "idempotency_key=uuid.uuid4().hex).pk)\n"
        )

        def new_request() -> int:
            return int(site.python(queue).split("ID", 1)[1].split()[0])

        kills = int(os.environ.get("BENCH_KILLS", "5"))
        rescuer = site.start("worker", "--interval", "0.2", "--worker-id", "rescuer", name="r")
        times = []
        for round_ in range(kills):
            rescuer.send_signal(signal.SIGSTOP)  # let the doomed worker take the request
            doomed = site.start(
                "worker", "--interval", "0.2", "--worker-id", f"doomed{round_}",
                name=f"d{round_}", **chaos_env("hang-after-sign"),
            )  # fmt: skip
            request_id = new_request()
            owner = f"doomed{round_}"
            took = _wait(lambda r=request_id, o=owner: _state(conn, r)[1] == o, 120)
            rescuer.send_signal(signal.SIGCONT)
            if not took:
                print(f"round {round_}: the doomed worker never took the lease")
                doomed.kill()
                continue
            doomed.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            doomed.wait()
            ok = _wait(lambda r=request_id: _state(conn, r)[0] == "ready", LEASE * 6)
            times.append(time.monotonic() - killed if ok else float("inf"))
        if times:
            ordered = sorted(times)
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            print(
                f"recovery after SIGKILL of a worker holding a request ({len(times)} rounds, "
                f"lease {LEASE:.0f} s, sweep {SWEEP:.0f} s): p50 {statistics.median(times):.1f} s, "
                f"p95 {p95:.1f} s, max {ordered[-1]:.1f} s; target p95 <= {LEASE + SWEEP:.0f} s: "
                f"{'met' if p95 <= LEASE + SWEEP else 'MISSED'}"
            )
        second = site.start("worker", "--interval", "0.2", name="w2")
        time.sleep(3)
        started = time.monotonic()
        conn.close()
        cluster.restart()
        restarted = time.monotonic() - started
        conn = psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres", autocommit=True)
        request_id = new_request()
        ok = _wait(lambda: _state(conn, request_id)[0] == "ready", 120)
        alive = all(p.poll() is None for p in (rescuer, second))
        print(
            f"recovery after a database restart (pg_ctl restart took {restarted:.1f} s): a "
            f"request queued after it was ready {time.monotonic() - started:.1f} s after the "
            f"restart began{'' if ok else ' (NOT DONE)'}; workers alive: {alive}"
        )
    finally:
        site.stop_all()
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        subprocess.run(["rm", "-rf", str(directory), str(data)], check=False)
