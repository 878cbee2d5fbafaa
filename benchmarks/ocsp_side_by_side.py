"""Live OCSP (nonce) next to `openssl ocsp -multi 2`, in alternating rounds (issue 15).

    python -m benchmarks.ocsp_side_by_side

Every round starts each server, warms it, measures it and stops it, in turn (each round
beginning one further along the list), so that what other work does to the machine falls
on all of them alike:
  - jitsuin (``jitsuin.wsgi``) under granian 2 workers, nonce requests, kept-alive
    connections and a new connection per request;
  - ``openssl ocsp -multi 2`` with the same P-256 responder key, a new connection per request
    (as the ``ocsp`` benchmark measures it);
  - ``benchmarks.ocsp_floor`` under granian: parse + ``cryptography``'s builder only, no
    Django: the ceiling of any responder that keeps the builder (OCSP_FLOOR_RESPONDER_ID=name,
    OCSP_FLOOR_CERTS=responder|none: what those options would buy);
  - ``benchmarks.ocsp_floor:signature_only``: the request parsed, one ECDSA signature, a
    fixed body: granian's WSGI and the signature without any ASN.1 encoding (kept-alive and
    new connections);
  - ``benchmarks.ocsp_floor:fixed_answer``: a fixed body, nothing parsed or signed, new
    connections: granian's WSGI alone, the floor under any Python responder it serves;
  - BENCH_BASELINE_SRC=<a checkout>: jitsuin from that source tree too (before/after);
  - BENCH_GRANIAN_VARIANTS="name:--flag value;name2:--other": jitsuin under other granian flags.

Each line gives the rate and the server's CPU per answer (its process group's user + system
time over the run, /proc): on a machine shared with other work the rates move with it, the
CPU per answer much less.

BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_CERTS (500); BENCH_CEILINGS=0 leaves out the two
ceilings.
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.httpload import (
    _start,
    _stop,
    free_port,
    granian_command,
    load,
    post_request,
    setup_django,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CERTS = int(os.environ.get("BENCH_CERTS", "500"))


def _group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes of process group ``group`` (Linux)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp; utime and stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _measure(
    command: Callable[[int], list[str]],
    bodies: list[bytes],
    *,
    keep: bool,
    path: str = "/ocsp",
    env: dict[str, str] | None = None,
) -> tuple[float, float]:
    """(answers per second, the server's CPU microseconds per answer)."""
    port = free_port()
    requests = [post_request(path, body, keep_alive=keep) for body in bodies]
    process = _start(command(port), env=env)
    try:
        wait_ready(port, requests[0])
        load(port, requests, 1.0)
        before = _group_cpu_seconds(process.pid)
        rate = float(load(port, requests, SECONDS)["rps"])
        used = _group_cpu_seconds(process.pid) - before
        return rate, used / (rate * SECONDS) * 1e6 if rate else float("nan")
    finally:
        _stop(process)


def _export(hierarchy, workdir: Path, made) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    from jitsuin.authorities.keys import key_store
    from jitsuin.authorities.publishing import ocsp_signing
    from jitsuin.authorities.services import certificate_of
    from jitsuin.pki.names import Serial

    signer = ocsp_signing.responder_for(hierarchy.intermediate)
    pem = serialization.Encoding.PEM
    (workdir / "rsigner.pem").write_bytes(signer.certificate.public_bytes(pem))
    (workdir / "ca.pem").write_bytes(certificate_of(hierarchy.intermediate).public_bytes(pem))
    (workdir / "rkey.pem").write_bytes(
        key_store()
        .get(hierarchy.intermediate.ocsp_key_ref)
        .private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with (workdir / "index.txt").open("w") as handle:
        for row, certificate in made:
            expiry = certificate.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
            serial = Serial(certificate.serial_number).hex
            handle.write(f"V\t{expiry}\t\t{serial}\tunknown\t/CN={row.pk}\n")


def main() -> None:
    setup_django()
    from benchmarks.bench_ocsp import _make_certificates, _requests
    from jitsuin.authorities.services import certificate_of

    workdir = Path(tempfile.mkdtemp(prefix="ocsp-side-"))
    hierarchy, made = _make_certificates(CERTS)
    nonced = _requests(certificate_of(hierarchy.intermediate), made, nonce=True)
    _export(hierarchy, workdir, made)
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def granian(extra: tuple[str, ...] = (), target: str = "jitsuin.wsgi:application"):  # type: ignore[no-untyped-def]
        def command(port: int) -> list[str]:
            line = granian_command(port, target)
            return [*line[:-1], *extra, line[-1]]

        return command

    def openssl(port: int) -> list[str]:
        files = {name: str(workdir / name) for name in ("index.txt", "rsigner.pem", "rkey.pem")}
        return ["openssl", "ocsp", "-index", files["index.txt"], "-port", str(port),
                "-rsigner", files["rsigner.pem"], "-rkey", files["rkey.pem"],
                "-CA", str(workdir / "ca.pem"), "-nmin", "60", "-multi", "2"]  # fmt: skip

    runs: dict[str, Callable[[], tuple[float, float]]] = {
        "jitsuin, kept-alive": lambda: _measure(granian(), nonced, keep=True, env=env),
        "jitsuin, new connections": lambda: _measure(granian(), nonced, keep=False, env=env),
    }
    baseline = os.environ.get("BENCH_BASELINE_SRC")
    if baseline:
        base_env = dict(os.environ, PYTHONPATH=baseline)
        runs["baseline, kept-alive"] = lambda: _measure(granian(), nonced, keep=True, env=base_env)
        runs["baseline, new connections"] = lambda: _measure(
            granian(), nonced, keep=False, env=base_env
        )
    for variant in filter(None, os.environ.get("BENCH_GRANIAN_VARIANTS", "").split(";")):
        name, flags = variant.split(":", 1)
        command = granian(tuple(flags.split()))
        runs[f"jitsuin {name}, kept-alive"] = functools.partial(
            _measure, command, nonced, keep=True, env=env
        )
    floor_env = dict(env, OCSP_FLOOR_DIR=str(workdir))
    if os.environ.get("BENCH_CEILINGS", "1") != "0":
        floor = granian(target="benchmarks.ocsp_floor:application")
        runs["builder only (no Django), kept-alive"] = functools.partial(
            _measure, floor, nonced, keep=True, env=floor_env
        )
        signature = granian(target="benchmarks.ocsp_floor:signature_only")
        runs["one signature only (no ASN.1), kept-alive"] = functools.partial(
            _measure, signature, nonced, keep=True, env=floor_env
        )
        # RADIUS servers ask on a new connection each time: the same ceilings there.
        runs["one signature only (no ASN.1), new connections"] = functools.partial(
            _measure, signature, nonced, keep=False, env=floor_env
        )
        fixed = granian(target="benchmarks.ocsp_floor:fixed_answer")
        runs["a fixed body (no parsing, no signature), new connections"] = functools.partial(
            _measure, fixed, nonced, keep=False, env=floor_env
        )
    runs["openssl ocsp -multi 2, new connections"] = lambda: _measure(
        openssl, nonced, keep=False, path="/"
    )
    print(f"{CERTS} certificates, nonce requests, {ROUNDS} rounds x {SECONDS:.0f} s, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()}", flush=True)  # fmt: skip
    seen: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for number in range(ROUNDS):
        # Each round starts one further along, so that no server always follows the same one.
        for name in names[number % len(names) :] + names[: number % len(names)]:
            rate, micros = runs[name]()
            seen[name].append(rate)
            cpu[name].append(micros)
            print(f"  round {number + 1} {name:<56} {rate:>8.0f} req/s  server CPU "
                  f"{micros:>5.0f} us/answer", flush=True)  # fmt: skip
    peer = "openssl ocsp -multi 2, new connections"
    print(
        f"medians (load average now {os.getloadavg()}); rate ratios taken round by round; "
        "the server CPU per answer moves least with other work:",
        flush=True,
    )
    for name, rates in seen.items():
        ratio = statistics.median(r / p for r, p in zip(rates, seen[peer], strict=True))
        print(f"  {name:<56} {statistics.median(rates):>8.0f} req/s  {ratio:.2f}x  server CPU "
              f"{statistics.median(cpu[name]):>5.0f} us/answer", flush=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
