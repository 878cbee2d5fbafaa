"""Issuance through a remote signer vs in-process, as a ratio (issue 17's target: >= 0.8).

Both sides issue the same orders through their connector's ``submit_issue``: an RSA-2048 user
key generated on the RA's side (``JITSUIN_KEY_POOL`` off, one thread), a client-auth
certificate signed by a P-384 issuing CA. In-process: the builtin connector, with this site's
own hierarchy. Remote: the remote connector against ``jitsuin signer serve`` started here in a
data directory and SQLite database of its own, over mutual TLS 1.3 on loopback, one
connection per order (as the connector makes them), the signer writing its order row and
audit event for each. Rounds alternate the two so that other load on a shared machine falls
on both; the ratio is remote / in-process certificates per second.

Measured twice: the connectors alone, and whole issuances through the pipeline (request,
worker step, certificate row, sealed PKCS#12 pickup, OCSP answer), where both sides also pay
the RA's own database work.

    python -m benchmarks signer           # BENCH_N orders per side and round (default 30)
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 3


def _setup_django() -> None:
    if "JITSUIN_DATA_DIR" not in os.environ:
        os.environ["JITSUIN_DATA_DIR"] = tempfile.mkdtemp(prefix="jitsuin-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    os.environ["JITSUIN_KEY_POOL"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _jitsuin(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "jitsuin", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def _start_signer(home: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JITSUIN_", "DATABASE_URL"))}
    env.update(JITSUIN_DATA_DIR=str(home / "signer"), JITSUIN_PUBLIC_URL="https://ra.example.ac.jp")
    _jitsuin(env, "ca", "init")
    _jitsuin(env, "signer", "init", "--host", "127.0.0.1")
    ra_dir = home / "ra"
    _jitsuin(
        env, "signer", "add-ra", "bench", "--profiles", "client-auth", "--rate", "100000",
        "--namespace", "example.ac.jp", "--namespace", "O=jitsuin", "--output", str(ra_dir),
    )  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "signer", "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the signer did not start") from None
            time.sleep(0.1)
    return process, {
        "JITSUIN_SIGNER_URL": f"https://127.0.0.1:{port}",
        "JITSUIN_SIGNER_CLIENT_CERT": str(ra_dir / "client.pem"),
        "JITSUIN_SIGNER_CLIENT_KEY": str(ra_dir / "client.key"),
        "JITSUIN_SIGNER_CA": str(ra_dir / "signer-ca.pem"),
    }


def _rate(connector: object, first_id: int, n: int) -> float:
    from django.utils import timezone

    from jitsuin.connectors.base import IssueOrder
    from jitsuin.pki.names import person_subject

    started = time.perf_counter()
    for i in range(first_id, first_id + n):
        order = IssueOrder(
            request_id=i,
            subject=person_subject(common_name=f"user{i}", uid=f"user{i}", organization="jitsuin"),
            email=f"user{i}@example.ac.jp",
            template="client-auth",
            validity=timedelta(days=365),
            key_spec="rsa2048",
        )
        connector.submit_issue(order, now=timezone.now())  # type: ignore[attr-defined]
    return n / (time.perf_counter() - started)


def _pipeline_rate(connector_name: str, first_id: int, n: int) -> float:
    """Whole issuances: request_issue, then the worker's step (connector, certificate row,
    sealed PKCS#12 pickup, OCSP answer, audit events), as a worker runs it."""
    from django.utils import timezone

    from jitsuin.lifecycle import pipeline
    from jitsuin.lifecycle.models import Person, Request
    from jitsuin.lifecycle.services import default_profile, request_issue

    profile = default_profile()
    people = [
        Person.objects.create(uid=f"p{i}", email=f"p{i}@example.ac.jp", name_en=f"P {i}")
        for i in range(first_id, first_id + n)
    ]
    started = time.perf_counter()
    for person in people:
        request = request_issue(
            person, actor="system", idempotency_key=f"b-{person.uid}", profile=profile
        )
        Request.objects.filter(pk=request.pk).update(connector=connector_name)
        outcome = pipeline.advance(request.pk, worker_id="bench", now=timezone.now())
        if outcome != "issued":
            request.refresh_from_db()
            raise RuntimeError(f"request {request.pk}: {outcome}: {request.last_error}")
    return n / (time.perf_counter() - started)


def main() -> None:
    _setup_django()
    from django.db import transaction

    from jitsuin import config
    from jitsuin.audit.services import record
    from jitsuin.authorities.services import init_hierarchy
    from jitsuin.connectors.builtin import BuiltinConnector
    from jitsuin.connectors.remote import RemoteConnector

    n = int(os.environ.get("BENCH_N") or "30")
    init_hierarchy()
    with transaction.atomic():
        record("bench.start")  # the RA's audit chain names this instance (order keys)
    home = Path(tempfile.mkdtemp(prefix="jitsuin-bench-signer-"))
    process, settings = _start_signer(home)
    try:
        os.environ.update(settings)
        # "remote" for the profile's connector; "builtin" stays the in-process CA.
        os.environ["JITSUIN_CONNECTORS"] = "remote=jitsuin.connectors.remote:RemoteConnector"
        config.current.cache_clear()
        builtin = BuiltinConnector.from_config(config.current())
        remote = RemoteConnector.from_config(config.current())
        # Connector-only orders get ids no request of the pipeline rounds will have.
        _rate(remote, 10**6, 2)  # imports the signer's chain and responders, warms both sides
        _rate(builtin, 10**6, 2)
        local, far, whole_local, whole_far = [], [], [], []
        for round_ in range(ROUNDS):
            base = 1000 * (round_ + 1)
            local.append(_rate(builtin, 10**6 + base, n))
            far.append(_rate(remote, 10**6 + base + 500, n))
            whole_far.append(_pipeline_rate("remote", base, n))
            whole_local.append(_pipeline_rate("builtin", base + 500, n))
        for what, near, away in (
            ("connector only", local, far),
            ("whole issuance (pipeline)", whole_local, whole_far),
        ):
            in_process, through_signer = statistics.median(near), statistics.median(away)
            print(
                f"signer, {what}: {n} x {ROUNDS} rounds, RSA-2048 keys made on the RA, P-384 CA; "
                f"in-process {in_process:.1f}/s, remote signer {through_signer:.1f}/s, "
                f"ratio {through_signer / in_process:.2f} (target >= 0.8)",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
