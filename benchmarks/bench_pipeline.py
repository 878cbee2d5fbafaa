"""Certificates per second through the whole pipeline vs the raw RSA-2048 key-generation rate.

The pipeline run is real: request_issue (audit, transitions) -> a task row -> one worker
(django-tasks-db) -> builtin connector (RSA-2048 key generated server-side, signed by the
issuing CA) -> Certificate row -> sealed compatible PKCS#12 and PIN -> ready. Key
generation dominates, so the ratio says how much the pipeline costs on top of it.

    python -m benchmarks pipeline                    # SQLite in a temporary directory
    BENCH_N=100 DATABASE_URL=postgres://... python -m benchmarks pipeline
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time


def _setup_django() -> str:
    if "JITSUIN_DATA_DIR" not in os.environ:
        os.environ["JITSUIN_DATA_DIR"] = tempfile.mkdtemp(prefix="jitsuin-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    os.environ.setdefault("JITSUIN_DEMO", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection

    return connection.vendor


def _raw_keygen_rate(n: int) -> tuple[float, float]:
    """(keys per second, CPU milliseconds per key)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return n / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / n


def _raw_issue_rate(n: int) -> float:
    """Key generation plus issue_certificate, in the same process, no database."""
    from jitsuin.authorities.services import issuing_authority, public_urls, signer_for
    from jitsuin.pki.clock import SystemClock
    from jitsuin.pki.issuance import issue_certificate
    from jitsuin.pki.keys import KeySpec, generate_private_key
    from jitsuin.pki.names import person_subject
    from jitsuin.pki.profiles import CLIENT_AUTH

    signer = signer_for(issuing_authority())
    started = time.perf_counter()
    for i in range(n):
        key = generate_private_key(KeySpec.parse("rsa2048"))
        issue_certificate(
            profile=CLIENT_AUTH,
            subject=person_subject(common_name=f"raw{i}", uid=f"raw{i}"),
            public_key=key.public_key(),
            signer=signer,
            clock=SystemClock(),
            urls=public_urls(),
            email=f"raw{i}@example.ac.jp",
        )
    return n / (time.perf_counter() - started)


def _pipeline_rate(n: int, run: int) -> tuple[float, float, float]:
    """(worker rate, end-to-end rate including request_issue) in certificates per second,
    and the worker's CPU milliseconds per certificate (all threads of this process)."""
    from jitsuin.lifecycle.models import Person, Request, RequestState
    from jitsuin.lifecycle.services import default_profile, request_issue
    from jitsuin.lifecycle.worker import PipelineWorker

    profile = default_profile()
    people = [
        Person.objects.create(uid=f"bench{run}-{i}", email=f"bench{run}-{i}@example.ac.jp")
        for i in range(n)
    ]
    asked = time.perf_counter()
    requests = [
        request_issue(p, actor="bench", idempotency_key=f"bench:{run}:{p.uid}", profile=profile)
        for p in people
    ]
    worker = PipelineWorker(queue_names=["pipeline"], interval=0, tick_every=0, batch=True)
    started, cpu = time.perf_counter(), time.process_time()
    worker.run()
    done, cpu_used = time.perf_counter(), time.process_time() - cpu
    ready = Request.objects.filter(pk__in=[r.pk for r in requests], state=RequestState.READY)
    if ready.count() != n:
        raise RuntimeError(f"only {ready.count()} of {n} requests became ready")
    return n / (done - started), n / (done - asked), cpu_used * 1000 / n


def main() -> None:
    n = int(os.environ.get("BENCH_N", "40"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    vendor = _setup_django()
    from jitsuin.authorities.models import Authority
    from jitsuin.authorities.services import init_hierarchy

    if Authority.objects.exists() and not os.environ.get("BENCH_REUSE"):
        raise SystemExit(
            "bench_pipeline needs an empty database (its CA keys live in a fresh data dir); "
            "create one, or set BENCH_REUSE=1 with the JITSUIN_DATA_DIR that goes with it"
        )
    init_hierarchy()
    keygen, keygen_cpu, raw, pipe, whole, pipe_cpu = [], [], [], [], [], []
    for run in range(rounds):
        rate, cpu = _raw_keygen_rate(n)
        keygen.append(rate)
        keygen_cpu.append(cpu)
        raw.append(_raw_issue_rate(n))
        worker_rate, end_to_end, cpu = _pipeline_rate(n, run)
        pipe.append(worker_rate)
        whole.append(end_to_end)
        pipe_cpu.append(cpu)
    k, r, p, w = (statistics.median(x) for x in (keygen, raw, pipe, whole))
    kc, pc = statistics.median(keygen_cpu), statistics.median(pipe_cpu)
    pool = os.environ.get("JITSUIN_KEY_POOL") or "2"
    print(f"database: {vendor}; {n} certificates x {rounds} rounds (medians); one worker;")
    print(f"key pool {pool} (JITSUIN_KEY_POOL); CPUs {os.cpu_count()}")
    print(f"raw RSA-2048 key generation (cryptography):  {k:7.2f} keys/s")
    print(f"raw key generation + issue_certificate:      {r:7.2f} certificates/s")
    print(f"worker (task->cert->PKCS#12->ready):         {p:7.2f} certificates/s")
    print(f"end to end (request_issue + worker):         {w:7.2f} certificates/s")
    print(f"ratio worker / raw key generation:           {p / k:7.2f}  (target >= 0.8)")
    print(f"ratio end to end / raw key generation:       {w / k:7.2f}")
    print(f"CPU per RSA-2048 key (raw):                  {kc:7.1f} ms")
    print(f"CPU per certificate in the worker:           {pc:7.1f} ms  (all threads)")
    print(f"CPU ratio raw key / worker certificate:      {kc / pc:7.2f}")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"load average during the run:                 {load:7.2f}  (CPUs {os.cpu_count()})")


if __name__ == "__main__":
    main()
