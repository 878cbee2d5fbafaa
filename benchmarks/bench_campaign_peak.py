"""A campaign peak: 10,000 people click 発行 (issue) within an hour, two workers, PostgreSQL.

    python -m benchmarks campaign_peak   (BENCH_PEAK_PEOPLE=150, BENCH_PEAK_COMPRESSION=2,
                                          BENCH_PEAK_POOLS=2,auto, BENCH_PEAK_INTERVAL)

Arrivals are Poisson at the peak's rate (10,000 an hour, 2.8/s) compressed in time by
BENCH_PEAK_COMPRESSION (printed): 2 means the clicks come twice as fast as at the real peak,
so the run is harder than the peak, and BENCH_PEAK_PEOPLE of them take PEOPLE / (2.8 x F)
seconds. Each click is the portal's: ``services.request_issue`` (what the portal's issue view
calls) for a person of the campaign, default profile (RSA-2048 key made by the server). Two
real ``jitsuin worker`` processes (default options, as deployed) do the rest: task claimed,
key from the worker's key pool, signed, rows, OCSP answer pre-signed, PKCS#12 sealed: ready
to download. Measured per request, from the database: the READY transition's time minus the
request's ``created_at`` (p50, p95, p99, max); target p95 < 2 s.

Each pool size in BENCH_PEAK_POOLS (JITSUIN_KEY_POOL of both workers) gets the same arrival
times with fresh people and fresh workers, after a warm-up (a few requests, then the pools
refill). ``auto`` is ``keypool.recommended_size`` for the compressed rate, with the key time
measured here (RSA-2048, median of 20 keys on one thread).
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.httpload import setup_django

ROOT = Path(__file__).resolve().parents[1]
PEAK_PER_HOUR = 10_000
WORKERS = 2
PEOPLE = int(os.environ.get("BENCH_PEAK_PEOPLE", "150"))
COMPRESSION = float(os.environ.get("BENCH_PEAK_COMPRESSION", "2"))
POOLS = os.environ.get("BENCH_PEAK_POOLS", "2,auto").split(",")
# `jitsuin worker --interval` (seconds idle between polls); empty: the command's default.
INTERVAL = os.environ.get("BENCH_PEAK_INTERVAL", "")
TARGET_P95 = 2.0
WARM_UP = 4


def main() -> None:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("skipped: the campaign peak is measured on PostgreSQL (DATABASE_URL)")
        return
    from jitsuin.authorities.services import init_hierarchy
    from jitsuin.connectors.keypool import recommended_size
    from jitsuin.lifecycle.services import default_profile

    init_hierarchy()
    profile = default_profile()
    key_s = _key_seconds(profile.key_spec)
    rate = PEAK_PER_HOUR / 3600 * COMPRESSION
    arrivals = _poisson(PEOPLE, rate)
    auto = recommended_size(rate * 3600, key_s, WORKERS)
    print(
        f"campaign peak: {PEAK_PER_HOUR:,} clicks an hour ({PEAK_PER_HOUR / 3600:.2f}/s)"
        f" compressed {COMPRESSION:g}x: {PEOPLE} clicks at {rate:.2f}/s (Poisson) over"
        f" {arrivals[-1]:.0f} s; {WORKERS} workers on PostgreSQL; key {profile.key_spec}"
        f" {key_s * 1000:.0f} ms (median, one thread); recommended JITSUIN_KEY_POOL {auto}",
        flush=True,
    )
    print(f"  (load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    sizes = {auto if name == "auto" else int(name): name == "auto" for name in POOLS}
    for index, (size, is_auto) in enumerate(sizes.items()):
        people = _people(f"p{index}", PEOPLE + WARM_UP)
        _run(size, people, arrivals, label=f"pool {size}" + (" (auto)" if is_auto else ""))


def _run(size: int, people: list, arrivals: list[float], *, label: str) -> None:  # type: ignore[type-arg]
    workers = [_start_worker(size, f"peak-{size}-{n}") for n in range(WORKERS)]
    try:
        _wait_ready([_click(p) for p in people[:WARM_UP]], timeout=120)
        time.sleep(2 + size * 0.2)  # the pools refill after the warm-up
        started, cpu_before, started_at = time.monotonic(), _cpu(workers), time.time()
        late = 0.0
        # Clicks on threads, as the web server's: a slow one does not hold back the next.
        with ThreadPoolExecutor(max_workers=8) as portal:
            clicks = []
            for person, at in zip(people[WARM_UP:], arrivals, strict=True):
                wait = started + at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                else:
                    late = max(late, -wait)
                clicks.append(portal.submit(_click, person))
            ids = [click.result() for click in clicks]
        ready = _wait_ready(ids, timeout=300)
        elapsed = time.monotonic() - started
        load, cpu = os.getloadavg()[0], _cpu(workers) - cpu_before
    finally:
        _stop(workers)
    if len(ready) < len(ids):
        print(f"  {label}: only {len(ready)} of {len(ids)} ready in time", flush=True)
        if not ready:
            return
    total = sorted(finished - created for created, _, finished in ready.values())
    queued = sorted(taken - created for created, taken, _ in ready.values())
    worked = sorted(finished - taken for _, taken, finished in ready.values())
    p95 = _quantile(total, 0.95)
    verdict = "ok" if p95 < TARGET_P95 and len(ready) == len(ids) else "OVER TARGET"
    print(
        f"  {label:<16} click -> ready: p50 {_quantile(total, 0.5):.2f} s, p95 {p95:.2f} s,"
        f" p99 {_quantile(total, 0.99):.2f} s, max {total[-1]:.2f} s; {len(ids)} ready in"
        f" {elapsed:.0f} s ({verdict}, target p95 < {TARGET_P95:.0f} s)",
        flush=True,
    )
    print(
        f"  {'':<16} queued (click -> a worker starts it) p50 {_quantile(queued, 0.5):.2f} s,"
        f" p95 {_quantile(queued, 0.95):.2f} s; worked (-> ready) p50"
        f" {_quantile(worked, 0.5):.2f} s, p95 {_quantile(worked, 0.95):.2f} s; workers' CPU"
        f" {cpu * 1000 / len(ids):.0f} ms a certificate (idle polling included); load average"
        f" {load:.1f}; clicks at most {late * 1000:.0f} ms late",
        flush=True,
    )
    print(f"  {'':<16} tasks run meanwhile: {_tasks_since(started_at)}", flush=True)


def _tasks_since(since: float) -> str:
    """Each kind of task the workers ran since ``since`` (epoch): count and mean seconds."""
    from datetime import UTC, datetime

    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(
        started_at__gte=datetime.fromtimestamp(since, UTC), finished_at__isnull=False
    ).values_list("task_path", "started_at", "finished_at")
    kinds: dict[str, list[float]] = {}
    for path, begun, ended in rows:
        kinds.setdefault(path.rsplit(".", 1)[-1], []).append((ended - begun).total_seconds())
    return ", ".join(
        f"{name} {len(times)} ({statistics.mean(times) * 1000:.0f} ms)"
        for name, times in sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    )


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu(workers: list[subprocess.Popen[bytes]]) -> float:
    """CPU seconds the workers have used so far (every thread; Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in workers:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _key_seconds(spec: str) -> float:
    from jitsuin.pki.keys import KeySpec, generate_private_key

    parsed, times = KeySpec.parse(spec), []
    for _ in range(20):
        started = time.thread_time()
        generate_private_key(parsed)
        times.append(time.thread_time() - started)
    return statistics.median(times)


def _poisson(count: int, rate: float) -> list[float]:
    """``count`` arrival times (seconds from 0) of a Poisson process of ``rate`` per second;
    the same for every pool size (fixed seed)."""
    rng, at, times = random.Random(15), 0.0, []
    for _ in range(count):
        at += rng.expovariate(rate)
        times.append(at)
    return times


def _people(prefix: str, count: int) -> list:  # type: ignore[type-arg]
    from jitsuin.lifecycle.models import Person

    Person.objects.bulk_create(
        Person(uid=f"{prefix}-{i:05d}", email=f"{prefix}-{i:05d}@example.ac.jp")
        for i in range(count)
    )
    return list(Person.objects.filter(uid__startswith=f"{prefix}-").order_by("uid"))


def _click(person) -> int:  # type: ignore[no-untyped-def]
    """The portal's issue button: its view calls request_issue with the person as actor."""
    from jitsuin.lifecycle import services
    from jitsuin.portal.identity import actor_for

    request = services.request_issue(
        person, actor=actor_for(person), idempotency_key=uuid.uuid4().hex
    )
    return int(request.pk)


def _wait_ready(ids: list[int], *, timeout: float) -> dict[int, tuple[float, float, float]]:
    """Once every request is ready (or at the timeout, those that are): per request, the
    times (epoch seconds) of its creation, of the start of its first ``process_request``
    task and of the end of its last one (the request was ready when that task ended)."""
    from django_tasks_db.models import DBTaskResult

    from jitsuin.lifecycle.models import Request, RequestState

    deadline = time.monotonic() + timeout
    while True:
        states = Request.objects.filter(pk__in=ids).values_list("pk", "state", "created_at")
        done = {pk: created for pk, state, created in states if state == RequestState.READY}
        if len(done) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    times: dict[int, tuple[float, float, float]] = {}
    tasks = DBTaskResult.objects.filter(
        task_path__endswith=".process_request", finished_at__isnull=False
    ).values_list("args_kwargs", "started_at", "finished_at")
    for args, started, finished in tasks:
        pk = (args.get("args") or [None])[0]
        if pk in done:
            created = done[pk].timestamp()
            first, last = times.get(pk, (created, started.timestamp(), 0.0))[1:]
            times[pk] = (created, min(first, started.timestamp()), max(last, finished.timestamp()))
    return times


def _start_worker(size: int, worker_id: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JITSUIN_KEY_POOL": str(size), "PYTHONUNBUFFERED": "1"}
    log = open(Path(os.environ["JITSUIN_DATA_DIR"]) / f"{worker_id}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "worker", "--worker-id", worker_id]
        + (["--interval", INTERVAL] if INTERVAL else []),
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


if __name__ == "__main__":
    main()
