"""Revoke -> reject: how long after a revocation a real FreeRADIUS 3.2 (EAP-TLS, eapol_test)
refuses the certificate, in CRL mode (the relying-party agent) and in OCSP mode.

One jitsuin is served on loopback (jitsuin.wsgi, as granian and gunicorn serve it) on a
throwaway site. Each round issues a certificate, logs in with it (accepted), revokes it the way
the portal's "revoke" button does (``lifecycle.services.request_revoke``, then the worker's
``pipeline.advance``) and times from there to the first refused eapol_test:

- CRL mode: the worker's CRL publication (``publish_due``) runs at once (JITSUIN_CRL_DEBOUNCE=0
  here; the default 10 s debounce adds up to 10 s), `jitsuin relying-party sync --interval N`
  fetches it and its reload command stops radiusd, which is started again (what systemd's
  restart does). Each round waits a random part of the interval first, so that revocations
  fall anywhere in the agent's cycle. Floor: interval/2 (the agent's expected wait) + a
  FreeRADIUS restart + a refused eapol_test, the last two measured in the same run.
- OCSP mode: FreeRADIUS asks jitsuin's /ocsp on every login (docs/relying-parties.md, OCSP
  mode), so the next login is refused. Floor: one refused eapol_test (its OCSP query
  included) measured in the same run.

A refused eapol_test takes at least a second: FreeRADIUS delays every Access-Reject by its
``reject_delay`` (1 s in Debian's radiusd.conf, kept here); both floors include it.

    python -m benchmarks revoke_reject     (BENCH_ROUNDS=5, BENCH_AGENT_INTERVAL=5)

Needs freeradius, eapol_test and openssl; prints "skipped: ..." without them (and fails
under JITSUIN_REQUIRE_PEERS=1).
"""

from __future__ import annotations

import logging
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
INTERVAL = int(os.environ.get("BENCH_AGENT_INTERVAL", "5"))
PEERS = ("freeradius", "eapol_test", "openssl")
TIMEOUT = 60.0  # a round that takes longer has failed


def _missing_peer() -> str | None:
    from tests.interop.radiusd import find_program

    for name in PEERS:
        if find_program(name) is None:
            return f"{name} is not installed"
    if not Path("/etc/freeradius/3.0/radiusd.conf").is_file():
        return "/etc/freeradius/3.0 (the FreeRADIUS configuration to copy) is missing"
    return None


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    os.environ["JITSUIN_CRL_DEBOUNCE"] = "0"  # the worker publishes at once (see above)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    logging.disable(logging.INFO)  # jitsuin logs a line per published CRL


def _p95(values: list[float]) -> float:
    """Nearest rank: with 5 rounds, the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _figures(name: str, values: list[float], floor: float, floor_text: str) -> None:
    p50, p95 = statistics.median(values), _p95(values)
    print(
        f"{name}: {len(values)} rounds, p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(values):.2f} s"
        f"\n  floor {floor:.2f} s ({floor_text}); p50/floor {p50 / floor:.2f}x, "
        f"p95/floor {p95 / floor:.2f}x; target p95 < 30 s: {'met' if p95 < 30 else 'MISSED'}",
        flush=True,
    )


class Bench:
    """The site: a hierarchy, jitsuin on loopback, a work directory, the pinned roots."""

    def __init__(self, work: Path) -> None:
        from jitsuin.authorities.models import Authority
        from jitsuin.authorities.publishing.crl import publish_crl
        from jitsuin.authorities.services import init_hierarchy
        from tests.revocation.site import serve, server_cert

        self.work = work
        self.issuing = init_hierarchy().intermediate
        for authority in Authority.objects.all():
            publish_crl(authority)
        server_cert(work)
        self.served = serve()
        self.pinned = work / "pinned-roots.pem"  # out of band in real life
        self.pinned.write_bytes(self._get("/ca/roots.pem"))
        self.target = work / "jitsuin"
        self.program = _find("freeradius")

    def _get(self, path: str) -> bytes:
        import urllib.request

        with urllib.request.urlopen(self.served.url + path, timeout=10) as answer:  # noqa: S310
            return bytes(answer.read())

    def agent(self, *extra: str) -> list[str]:
        command = [sys.executable, "-m", "jitsuin", "relying-party", "sync"]
        command += ["--url", self.served.url, "--roots", str(self.pinned)]
        return [*command, "--dir", str(self.target), *extra]

    def holder(self, name: str) -> Any:
        from tests.revocation.factories import issue

        issued = issue(self.issuing, uid=name)
        (self.work / f"{name}.chain.pem").write_bytes(issued.chain_pem)
        (self.work / f"{name}.key").write_bytes(issued.key_pem)
        return issued

    def login(self, port: int, name: str) -> str:
        from tests.interop.radiusd import eapol

        return eapol(self.work, port, name, timeout=5)

    def radius(self, mode: str) -> tuple[Path, int]:
        from tests.interop.radiusd import configure, eap_module

        conf = self.work / f"raddb-{mode}"
        eap = eap_module(mode, certs=self.work, jitsuin=self.target, url=self.served.url)
        return conf, configure(conf, eap=eap)


def _find(name: str) -> str:
    from tests.interop.radiusd import find_program

    found = find_program(name)
    assert found is not None
    return found


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {TIMEOUT:.0f} s")


def crl_mode(bench: Bench) -> None:
    from jitsuin.authorities.publishing.crl import publish_due
    from tests.interop.radiusd import run
    from tests.revocation.factories import revoke_as_the_portal_does

    once = subprocess.run(bench.agent(), capture_output=True, text=True, timeout=120)
    if once.returncode != 0:
        raise RuntimeError(f"the agent's first sync failed: {once.stderr}")
    conf, port = bench.radius("crl")
    radius = run(bench.program, conf, port)
    pidfile = bench.work / "radiusd.pid"
    pidfile.write_text(str(radius.process.pid))
    log = (bench.work / "agent.log").open("w")
    reload = f"sh -c 'kill -TERM $(cat {pidfile})'"
    looping = subprocess.Popen(
        bench.agent("--interval", str(INTERVAL), "--reload-command", reload),
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    times, restarts, refusals = [], [], []
    try:
        for number in range(ROUNDS):
            name = f"crl-{number}"
            issued = bench.holder(name)
            if bench.login(port, name) != "SUCCESS":
                raise RuntimeError(f"{name} was refused before its revocation")
            time.sleep(random.uniform(0, INTERVAL))  # anywhere in the agent's cycle
            started = time.monotonic()
            revoke_as_the_portal_does(issued)
            publish_due()  # the worker's publication job, the debounce set to 0
            radius.process.wait(timeout=TIMEOUT)  # the agent's reload command stopped it
            radius.log.close()
            restart = time.monotonic()
            radius = run(bench.program, conf, port)  # what systemd's restart does
            restarts.append(time.monotonic() - restart)
            pidfile.write_text(str(radius.process.pid))
            login = time.monotonic()
            answer = bench.login(port, name)
            refusals.append(time.monotonic() - login)
            if answer != "FAILURE":
                raise RuntimeError(f"{name} was still accepted after the agent's reload")
            times.append(time.monotonic() - started)
    finally:
        looping.terminate()
        looping.wait(timeout=10)
        log.close()
        radius.stop()
    restart, refusal = statistics.median(restarts), statistics.median(refusals)
    _figures(
        f"CRL mode (agent --interval {INTERVAL}, reload = restart FreeRADIUS)",
        times,
        INTERVAL / 2 + restart + refusal,
        f"interval/2 {INTERVAL / 2:.1f} s + FreeRADIUS restart {restart:.2f} s + "
        f"a refused eapol_test {refusal:.2f} s (reject_delay 1 s), medians of this run",
    )
    print(
        "  not included: the worker's JITSUIN_CRL_DEBOUNCE (default 10 s; 0 here), its queue "
        "wait, and the restart of a production radiusd (systemd) instead of radiusd -X",
        flush=True,
    )


def ocsp_mode(bench: Bench) -> None:
    from tests.interop.radiusd import run
    from tests.revocation.factories import revoke_as_the_portal_does

    conf, port = bench.radius("ocsp")
    radius = run(bench.program, conf, port)
    times, trips, refusals = [], [], []
    try:
        for number in range(ROUNDS):
            name = f"ocsp-{number}"
            issued = bench.holder(name)
            trip = time.monotonic()
            if bench.login(port, name) != "SUCCESS":
                raise RuntimeError(f"{name} was refused before its revocation")
            trips.append(time.monotonic() - trip)
            started = time.monotonic()
            revoke_as_the_portal_does(issued)

            def refused(client: str = name) -> bool:
                return bench.login(port, client) == "FAILURE"

            _until(refused, "refusal")
            times.append(time.monotonic() - started)
            refusal = time.monotonic()
            if bench.login(port, name) != "FAILURE":
                raise RuntimeError(f"{name} was accepted after it was refused")
            refusals.append(time.monotonic() - refusal)
    finally:
        radius.stop()
    _figures(
        "OCSP mode (FreeRADIUS asks jitsuin's /ocsp on every login)",
        times,
        statistics.median(refusals),
        "a refused eapol_test with its OCSP query, reject_delay 1 s included, median of this "
        f"run; an accepted one took {statistics.median(trips):.2f} s",
    )
    print(
        "  not included: JITSUIN_OCSP_CACHE_TTL (default 2 s) when the revocation is made in "
        "another process than the one answering /ocsp (here one process: its cache is reset);"
        " in CRL mode, JITSUIN_PUBLIC_CACHE_TTL (default 2 s) before a web process serves a new"
        " CRL (here 0: tests/revocation/site.py)",
        flush=True,
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    missing = _missing_peer()
    if missing is not None:
        required = os.environ.get("JITSUIN_REQUIRE_PEERS") == "1"
        print(f"skipped: {missing}" + (" (JITSUIN_REQUIRE_PEERS=1: a failure)" if required else ""))
        sys.exit(1 if required else 0)
    _setup_django()
    work = Path(tempfile.mkdtemp(prefix="jitsuin-revoke-reject-"))
    bench = Bench(work)
    try:
        print(
            f"revoke -> reject on {os.cpu_count()} cores, {ROUNDS} rounds per mode (p95 by "
            "nearest rank: with 5 rounds, the max), real FreeRADIUS and eapol_test, jitsuin on "
            "loopback (JITSUIN_CRL_DEBOUNCE=0)",
            flush=True,
        )
        crl_mode(bench)
        ocsp_mode(bench)
    finally:
        bench.served.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)
