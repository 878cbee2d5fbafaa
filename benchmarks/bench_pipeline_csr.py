"""Certificates per second through jitsuin's whole pipeline, from P-256 CSRs and with
server-made P-256 keys, against django-ca 3.2's ``create_cert`` (the Python CA peer), in one
run with alternating rounds; and the SQL statements each certificate costs.

jitsuin's side is the real path: ``request_issue`` (policy, request row, history, audit,
"request received" e-mail, task) for each certificate, then one worker (django-tasks-db;
batches of queued requests: lifecycle.pipeline_batch) draining them: claim, builtin
connector (signed by the issuing CA), certificate row, pickup (server-made keys: sealed
PKCS#12 and PIN), OCSP answer pre-signed and stored, audit, "certificate ready" e-mail.
django-ca's side is ``Certificate.objects.create_cert`` (profile, extensions, signing, its
row) from the same kind of CSR under a CA of the same curve as jitsuin's issuing CA (P-384),
in its own virtualenv, Django project and database of the same kind (benchmarks/peers/).
CSRs are made before either clock starts. Without the peer (its virtualenv cannot be built)
jitsuin's figures are printed alone, saying why.

    python -m benchmarks pipeline_csr                          # SQLite on both sides
    BENCH_DATABASE=postgres python -m benchmarks pipeline_csr  # throwaway PostgreSQL databases
    BENCH_N=200 BENCH_ROUNDS=5 python -m benchmarks pipeline_csr
    BENCH_BATCH=50 python -m benchmarks pipeline_csr           # request_issue_many's batch size

Each kind runs twice: one ``request_issue`` per click (the portal), and ``request_issue_many``
in batches of ``BENCH_BATCH`` (POST /api/v1/requests/batch, campaigns), then the worker.

Under the ratios, the floor (benchmarks/pipeline_floor.py): the CPU of the work a certificate
needs whatever the database (signatures, CSR checks, e-mails rendered, audit seals), measured
on each round's batch from CSRs, beside that batch's CPU and django-ca's.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict

from benchmarks import pipeline_floor
from benchmarks.bench_pipeline import _setup_django


def _csrs(n: int) -> list[str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def one() -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
        return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()

    return [one() for _ in range(n)]


@contextmanager
def _no_key_pool() -> Iterator[None]:
    """Keys made inline on the worker's thread (one thread, like the peer)."""
    from jitsuin.config import current

    previous = os.environ.get("JITSUIN_KEY_POOL")
    os.environ["JITSUIN_KEY_POOL"] = "0"
    current.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("JITSUIN_KEY_POOL", None)
        else:
            os.environ["JITSUIN_KEY_POOL"] = previous
        current.cache_clear()


def _ask(people: list, pems: list[str], profile: object, run: str, batch: int) -> list:
    """The requests: one ``request_issue`` per click (``batch`` 0), else ``request_issue_many``
    in batches of ``batch`` (the API's POST /requests/batch, a campaign)."""
    from jitsuin.lifecycle.services import IssueItem, request_issue, request_issue_many

    if not batch:
        return [
            request_issue(
                p, actor="bench", idempotency_key=f"b:{run}:{p.uid}", profile=profile, csr_pem=pem
            )
            for p, pem in zip(people, pems, strict=True)
        ]
    items = [
        IssueItem(p, f"b:{run}:{p.uid}", profile, pem)  # type: ignore[arg-type]
        for p, pem in zip(people, pems, strict=True)
    ]
    made = []
    for start in range(0, len(items), batch):
        for outcome in request_issue_many(items[start : start + batch], actor="bench"):
            if outcome.error is not None:
                raise outcome.error
            made.append(outcome.request)
    return made


def _jitsuin_run(
    n: int, run: str, *, csr: bool, count: bool = False, batch: int = 0, floor: bool = False
) -> dict[str, float]:
    """``n`` certificates through request_issue (or request_issue_many in batches of
    ``batch``) and one worker; seconds (and statements; with ``floor``, the floor's parts
    measured on the finished requests afterwards, as ``floor_<part>``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jitsuin.lifecycle.models import Person, Profile, Request, RequestState
    from jitsuin.lifecycle.pipeline_worker import PipelineWorker

    profile = Profile.objects.get(slug="bench-p256")
    people = [
        Person.objects.create(uid=f"b{run}-{i}", email=f"b{run}-{i}@example.ac.jp")
        for i in range(n)
    ]
    pems = _csrs(n) if csr else [""] * n
    audit_from = pipeline_floor.audit_mark() if floor else 0
    statements = pipeline_floor.StatementClock()
    with ExitStack() as stack:
        queries = stack.enter_context(CaptureQueriesContext(connection)) if count else None
        if floor:
            stack.enter_context(connection.execute_wrapper(statements))
        started, cpu = time.perf_counter(), time.process_time()
        requests = _ask(people, pems, profile, run, batch)
        asked = time.perf_counter()
        asked_queries = len(queries) if queries is not None else 0
        PipelineWorker(queue_names=["pipeline"], interval=0, tick_every=0, batch=True).run()
        done, cpu_done = time.perf_counter(), time.process_time()
    end = RequestState.DONE if csr else RequestState.READY
    finished = Request.objects.filter(pk__in=[r.pk for r in requests], state=end).count()
    if finished != n:
        raise RuntimeError(f"only {finished} of {n} requests ended {end}")
    figures = {"seconds": done - started, "cpu": cpu_done - cpu, "asked": asked - started}
    if queries is not None:
        figures.update(queries=len(queries), asked_queries=asked_queries)
    if floor:
        parts = pipeline_floor.measure([r.pk for r in requests], audit_from)
        figures.update({f"floor_{k}": v for k, v in asdict(parts).items()})
        figures["statements_cpu"] = statements.cpu
    return figures


def _peer(database_url: str | None) -> object:
    from benchmarks.peers.djangoca_peer import DjangoCaPeer

    return DjangoCaPeer.start(database_url)


BATCH = int(os.environ.get("BENCH_BATCH", "100"))
# (name, from a CSR, batch size: 0 = one request_issue per click)
KINDS = (
    ("csr", True, 0),
    ("p256", False, 0),
    ("csr-batch", True, BATCH),
    ("p256-batch", False, BATCH),
)
LABELS = {
    "csr": "from P-256 CSRs, one click at a time",
    "p256": "server-made P-256 keys, one click at a time",
    "csr-batch": f"from P-256 CSRs, request_issue_many in batches of {BATCH}",
    "p256-batch": f"server-made P-256 keys, request_issue_many in batches of {BATCH}",
}


def main() -> None:
    n = int(os.environ.get("BENCH_N", "100"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    vendor = _setup_django()
    from jitsuin.authorities.services import init_hierarchy
    from jitsuin.lifecycle.models import Profile
    from jitsuin.lifecycle.services import default_profile

    init_hierarchy()
    base = default_profile()
    Profile.objects.filter(slug="bench-p256").delete()
    Profile.objects.create(
        slug="bench-p256",
        name_ja="P-256",
        name_en="P-256",
        template=base.template,
        key_spec="p256",
        validity_days=base.validity_days,
        rollover_policy=base.rollover_policy,
        max_valid=base.max_valid,
        pickup_window=base.pickup_window,
    )
    with ExitStack() as stack:
        stack.enter_context(_no_key_pool())
        peer, why = None, ""
        try:
            from benchmarks.peers.djangoca_peer import PeerUnavailable
            from benchmarks.sites import throwaway_postgres

            peer_db = None
            if vendor == "postgresql":
                peer_db = stack.enter_context(throwaway_postgres("djangoca"))
            peer = stack.enter_context(_peer(peer_db))  # type: ignore[arg-type]
        except PeerUnavailable as exc:
            why = str(exc)
        # Warm up (templates, keys, query caches), and count statements: not timed.
        _jitsuin_run(3, "warm", csr=True)
        counted = {
            kind: _jitsuin_run(n, f"q{kind}", csr=csr, count=True, batch=size)
            for kind, csr, size in KINDS
        }
        if peer is not None:
            peer.issue(3)  # type: ignore[attr-defined]
            peer_queries = peer.issue(n)["queries"] / n  # type: ignore[attr-defined]
        rows = []
        for run in range(rounds):
            row = {}
            for kind, csr, size in KINDS:
                got = _jitsuin_run(
                    n, f"{run}{kind}", csr=csr, batch=size, floor=kind == "csr-batch"
                )
                row[f"{kind}_rate"] = n / got["seconds"]
                row[f"{kind}_ms"] = got["seconds"] * 1000 / n
                row[f"{kind}_cpu_ms"] = got["cpu"] * 1000 / n
                row[f"{kind}_asked_ms"] = got["asked"] * 1000 / n
                row.update({k: v for k, v in got.items() if k.startswith("floor_")})
                if "statements_cpu" in got:
                    row["statements_cpu_ms"] = got["statements_cpu"] * 1000 / n
            if peer is not None:
                got = peer.issue(n)  # type: ignore[attr-defined]
                row["peer_rate"] = n / got["seconds"]
                row["peer_ms"] = got["seconds"] * 1000 / n
                row["peer_cpu_ms"] = got["cpu"] * 1000 / n
            rows.append(row)
    m = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    print(f"database: {vendor} (both sides); {n} certificates x {rounds} rounds (medians);")
    print(f"one worker (batches of queued requests), keys made inline; CPUs {os.cpu_count()}")
    for kind, _csr, size in KINDS:
        c = counted[kind]
        door = f"request_issue_many x{size}" if size else "request_issue"
        print(f"jitsuin, {LABELS[kind]}:")
        print(f"  certificates/s (requests + worker):       {m[f'{kind}_rate']:8.1f}")
        print(
            f"  ms per certificate (wall / CPU):          {m[f'{kind}_ms']:8.2f}"
            f" / {m[f'{kind}_cpu_ms']:.2f}"
        )
        print(f"    of which the requests (wall):           {m[f'{kind}_asked_ms']:8.2f}")
        print(
            f"  SQL per certificate:                      {c['queries'] / n:8.1f}"
            f"  ({door} {c['asked_queries'] / n:.1f}, worker "
            f"{(c['queries'] - c['asked_queries']) / n:.1f})"
        )
    if peer is None:
        print(f"django-ca peer skipped: {why}")
    else:
        print(f"django-ca {peer.version} create_cert, P-256 CSRs:")  # type: ignore[attr-defined]
        print(f"  certificates/s:                           {m['peer_rate']:8.1f}")
        print(
            f"  ms per certificate (wall / CPU):          {m['peer_ms']:8.2f}"
            f" / {m['peer_cpu_ms']:.2f}"
        )
        print(f"  SQL per certificate:                      {peer_queries:8.1f}")
        for kind, _csr, _size in KINDS:
            ratio = statistics.median(row[f"{kind}_rate"] / row["peer_rate"] for row in rows)
            print(
                f"ratio jitsuin {kind:>10} / django-ca create_cert:  {ratio:6.2f}  (target >= 1.0)"
            )
    _print_floor(m, peer)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"load average during the run:               {load:8.2f}  (CPUs {os.cpu_count()})")


def _print_floor(m: dict[str, float], peer: object) -> None:
    """What a certificate needs whatever the database (benchmarks/pipeline_floor.py), beside
    the batch path's CPU and django-ca's."""
    floor = pipeline_floor.Floor(
        **{k.removeprefix("floor_"): v for k, v in m.items() if k.startswith("floor_")}
    )
    inside = m["statements_cpu_ms"]
    print("the floor: what a certificate from a CSR needs whatever the database (CPU ms):")
    print(f"  the CSR checked twice (asked, then before signing): {floor.csr_checks:8.3f}")
    print(f"  the certificate built and signed (issuing CA):      {floor.certificate:8.3f}")
    print(f"  its OCSP answer signed (delegated responder):       {floor.ocsp_answer:8.3f}")
    print(f"  two e-mails rendered:                               {floor.emails:8.3f}")
    print(
        f"  {floor.events_per_certificate:.0f} audit events sealed (HMAC, stored JSON):"
        f"          {floor.audit_seals:8.3f}"
    )
    batch = m["csr-batch_cpu_ms"]
    rest = batch - floor.total - inside
    print(f"  together:                                           {floor.total:8.3f}")
    print(f"the batch path's CPU per certificate:                 {batch:8.3f}, of which")
    print(f"  the floor above:                                    {floor.total:8.3f}")
    label = f"inside the statements' execute ({_inside_whom()}):"
    print(f"  {label:<52}{inside:8.3f}")
    print(f"  the rest (rows prepared, claim, state, commits):    {rest:8.3f}")
    if peer is not None:
        print(
            f"django-ca's create_cert CPU {m['peer_cpu_ms']:.3f}: the floor is"
            f" {floor.total / m['peer_cpu_ms']:.2f} of it; at 1.0x everything else would"
            f" have to fit in {m['peer_cpu_ms'] - floor.total:.3f}"
            f" (it takes {batch - floor.total:.3f})"
        )


def _inside_whom() -> str:
    from django.db import connection

    return "SQLite itself" if connection.vendor == "sqlite" else "psycopg's side"


if __name__ == "__main__":
    main()
