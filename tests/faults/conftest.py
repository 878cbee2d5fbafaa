"""Fault tests: real processes, a real PostgreSQL of the test's own, real restarts.

Each test that needs PostgreSQL starts a throwaway cluster with pg_ctl in a temporary
directory (as /work/shared/recipes/pg-throwaway.sh does), so that restarting or killing it
never touches the main database. They skip on SQLite; with PostgreSQL they skip only when
pg_ctl is missing, and then fail instead under JITSUIN_REQUIRE_PEERS=1.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers import peers_required

ROOT = Path(__file__).resolve().parents[2]


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:", "pgsql:"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    bin: Path
    dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Output to a file, not a pipe: the server pg_ctl starts would hold a pipe open.
        with open(self.dir / "pg_ctl.out", "ab") as out:
            subprocess.run([*prefix, *args], check=True, stdout=out, stderr=out, timeout=120)

    def _opts(self) -> str:
        return f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", self._opts(),
            "-l", str(self.dir / "log"), "-w", "start",
        )  # fmt: skip

    def restart(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w",
            "restart", "-o", self._opts(), "-l", str(self.dir / "log"),
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        pg_ctl = str(self.bin / "pg_ctl")
        self._as_postgres(pg_ctl, "-D", str(self.dir / "data"), "-m", mode, "stop")


@pytest.fixture
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own (skipped on SQLite)."""
    if not on_postgres():
        pytest.skip("fault tests run on PostgreSQL (set DATABASE_URL=postgres://...)")
    pg_bin = _pg_bin()
    if pg_bin is None:
        message = "pg_ctl is not installed (/usr/lib/postgresql/*/bin)"
        if peers_required():
            pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
        pytest.skip(message)
    # Not under pytest's tmp dir: the postgres user must be able to reach it (0700 parents).
    directory = Path(tempfile.mkdtemp(prefix="jitsuin-pg-"))
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres", str(directory)], check=True)
    cluster = Cluster(bin=pg_bin, dir=directory, port=free_port())
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*prefix, str(pg_bin / "initdb"), "-D", str(directory / "data"), "-U", "postgres",
         "--auth=trust"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Site:
    """One jitsuin installation (data dir + database) driven through its CLI."""

    env: dict[str, str]
    data_dir: Path
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def run(self, *args: str, check: bool = True, timeout: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jitsuin", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def python(self, code: str, timeout: float = 300) -> str:
        """Run ``code`` with Django set up, in a process of its own."""
        return self.run("shell", "-c", code, timeout=timeout)

    def start(self, *args: str, name: str, **extra_env: str) -> subprocess.Popen[str]:
        log = open(self.data_dir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "jitsuin", *args],
            env={**self.env, **extra_env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        proc.log_path = self.data_dir / f"{name}.log"  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def log(self, proc: subprocess.Popen[str]) -> str:
        return Path(proc.log_path).read_text()  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def make_site(tmp_path: Path, database_url: str | None, **extra: str) -> Site:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "JITSUIN_DATA_DIR": str(tmp_path),
            "JITSUIN_DEMO": "0",
            "JITSUIN_SCHEDULER_INTERVAL": "1s",
            "JITSUIN_SWEEP_INTERVAL": "5s",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return Site(env=env, data_dir=tmp_path)


def wait_for(predicate, timeout: float, what: str, pause: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(pause)


# Django-setup snippets run in a site's own process (`jitsuin shell -c`).
QUEUE_ISSUES = """
import uuid
from jitsuin.lifecycle import people, services
from jitsuin.lifecycle.models import Person
for i in range({n}):
    uid = "{prefix}%04d" % i
    p = Person.objects.filter(uid=uid).first() or people.add_person(
        uid, email=uid + "@example.ac.jp", actor="test")
    services.request_issue(p, actor="test", idempotency_key="t-%s-%s" % (uid, uuid.uuid4()))
"""

QUEUE_REVOKES = """
import uuid
from jitsuin.lifecycle import services
from jitsuin.lifecycle.models import Certificate
for c in Certificate.objects.filter(person__uid__startswith="{prefix}", status="valid"):
    services.request_revoke(c, actor="test", idempotency_key="r-%s-%s" % (c.pk, uuid.uuid4()),
                            reason="keyCompromise")
"""

COUNTS = """
import json
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from jitsuin.lifecycle.models import Certificate, Request
states = dict(Request.objects.values_list("state").annotate(n=Count("pk")))
kinds = dict(Request.objects.values_list("kind").annotate(n=Count("pk")))
per_person = list(Certificate.objects.values("person").annotate(n=Count("pk"))
                  .filter(n__gt=1).values_list("person", flat=True))
serials = Certificate.objects.count() - Certificate.objects.values("serial").distinct().count()
failed_tasks = list(DBTaskResult.objects.filter(status="FAILED")
                    .values_list("traceback", flat=True))
print("COUNTS" + json.dumps(dict(states=states, kinds=kinds, doubled=per_person,
    duplicate_serials=serials, certificates=Certificate.objects.count(),
    revoked=Certificate.objects.filter(status="revoked").count(),
    failed_tasks=failed_tasks)))
"""


def counts(site: Site) -> dict:  # type: ignore[type-arg]
    import json

    out = site.python(COUNTS)
    return json.loads(out.split("COUNTS", 1)[1].strip().splitlines()[0])
