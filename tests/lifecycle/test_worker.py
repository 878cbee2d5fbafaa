"""Real workers in real processes: SIGKILL mid-request, two workers, 50 concurrent clicks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.lifecycle.models import Certificate, Request, RequestState, RequestTransition
from jitsuin.lifecycle.services import default_profile, request_issue
from tests.chaos import chaos_env
from tests.lifecycle.conftest import key, make_person

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test uses (the test database), for child processes."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    host = s.get("HOST") or "127.0.0.1"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"


@contextmanager
def worker(name: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JITSUIN_LEASE": "3s",
        "JITSUIN_SCHEDULER_INTERVAL": "0.5s",
        "JITSUIN_SWEEP_INTERVAL": "1s",
        **env,
    }
    log = Path(os.environ.get("JITSUIN_DATA_DIR", "/tmp")) / f"worker-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jitsuin", "worker", "--interval", "0.1", "--worker-id", name],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = sorted(Path(os.environ.get("JITSUIN_DATA_DIR", "/tmp")).glob("worker-*.log"))
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs)
    raise AssertionError(f"timed out waiting for {what or condition}\n{tails}")


def state_of(request: Request) -> Request:
    return Request.objects.get(pk=request.pk)


@pytest.mark.parametrize("mode", ["hang", "hang-after-sign", "delay"])
def test_worker_killed_mid_request_is_finished_by_the_next_exactly_once(ca_hierarchy, mode):
    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key())
    first_env = {"JITSUIN_BUILTIN_DELAY": "2s"} if mode == "delay" else chaos_env(mode)
    with worker("first", **first_env) as first:
        if mode.startswith("hang"):
            wait_for(lambda: state_of(request).lease_owner == "first", what="worker 1 to claim")
            time.sleep(0.5)  # well inside the connector call (after signing, for hang-after-sign)
        else:
            wait_for(lambda: bool(state_of(request).connector_ref), what="worker 1 to submit")
        assert state_of(request).state == RequestState.PROCESSING
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert Certificate.objects.count() == 0
    with worker("second"):
        wait_for(lambda: state_of(request).state == RequestState.READY, what="worker 2 to finish")
    request = state_of(request)
    assert Certificate.objects.filter(person=alice).count() == 1
    assert request.certificate.person == alice
    # one move to processing, one to ready: the second worker resumed, it did not start over
    moves = list(
        RequestTransition.objects.filter(request=request).values_list("to_state", flat=True)
    )
    assert moves == ["queued", "processing", "ready"]
    if mode.startswith("hang"):
        assert request.attempts == 2
        assert AuditEvent.objects.filter(action="request.issue.lease_taken_over").count() == 1
    assert verify() is None


def test_two_workers_never_process_a_request_twice(ca_hierarchy):
    people = [make_person(f"user{n:02d}") for n in range(16)]
    requests = [request_issue(p, actor=f"user:{p.uid}", idempotency_key=key()) for p in people]
    with worker("w1"), worker("w2"):
        wait_for(
            lambda: Request.objects.filter(state=RequestState.READY).count() == len(requests),
            timeout=120,
            what="all requests ready",
        )
    assert Certificate.objects.count() == len(requests)
    for request in requests:
        moves = RequestTransition.objects.filter(request=request, to_state="processing").count()
        assert moves == 1
    owners = set(
        RequestTransition.objects.filter(to_state="ready").values_list("request_id", flat=True)
    )
    assert len(owners) == len(requests)
    assert AuditEvent.objects.filter(action="certificate.issued").count() == len(requests)
    assert verify() is None


def test_fifty_concurrent_submissions_make_one_request_and_one_certificate(ca_hierarchy):
    alice = make_person("alice")
    profile = default_profile()
    barrier = threading.Barrier(50)
    results: list[int] = []
    errors: list[BaseException] = []

    def click(n: int) -> None:
        try:
            barrier.wait()
            # Half are retries of one click (same key), half are other tabs (new keys).
            idem = "same-click" if n % 2 else f"tab-{n}"
            made = request_issue(alice, actor="user:alice", idempotency_key=idem, profile=profile)
            results.append(made.pk)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 50 and len(set(results)) == 1
    assert Request.objects.count() == 1
    with worker("solo"):
        wait_for(lambda: Request.objects.get().state == RequestState.READY, what="issuance")
    assert Certificate.objects.count() == 1


def test_in_process_worker_of_serve_works_beside_the_web_thread(ca_hierarchy):
    """`jitsuin serve` runs the worker in a thread: no deadlock with writes from other threads."""
    from jitsuin.jobs.worker import start_background_worker, stop_background_worker
    from jitsuin.lifecycle.pipeline_worker import PipelineWorker

    people = [make_person(f"web{n}") for n in range(6)]
    thread = start_background_worker(PipelineWorker, interval=0.05)
    try:
        assert thread is not None and thread.is_alive()
        assert start_background_worker(PipelineWorker) is thread  # one per process
        for person in people:  # the "web thread" writes while the worker writes
            request_issue(person, actor=f"user:{person.uid}", idempotency_key=key())
        wait_for(
            lambda: Request.objects.filter(state=RequestState.READY).count() == len(people),
            timeout=90,
            what="the in-process worker",
        )
    finally:
        stop_background_worker()
    assert not thread.is_alive()
    assert Certificate.objects.count() == len(people)


def test_real_worker_retries_with_backoff_then_fails_and_retry_request_recovers(ca_hierarchy):
    from jitsuin.lifecycle.services import retry_request

    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key())
    failing = {**chaos_env("always"), "JITSUIN_RETRY_BASE": "0.3s"}
    with worker("failing", **failing, JITSUIN_MAX_ATTEMPTS="3"):
        wait_for(lambda: state_of(request).state == RequestState.FAILED, what="failed")
    request = state_of(request)
    assert request.attempts == 3 and "simulated upstream failure" in request.last_error
    notes = list(
        RequestTransition.objects.filter(request=request, to_state="waiting").values_list(
            "note", flat=True
        )
    )
    assert len(notes) == 2 and all("retry at" in n for n in notes)
    retry_request(request, actor="staff:helpdesk", reason="upstream is back")
    with worker("healthy"):
        wait_for(lambda: state_of(request).state == RequestState.READY, what="ready")
    assert Certificate.objects.count() == 1


def test_a_hung_worker_that_wakes_up_late_finds_its_result_discarded(ca_hierarchy):
    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key())
    slow = chaos_env("hang-after-sign", hang="6s")
    with worker("sleepy", **slow, JITSUIN_LEASE="2s") as sleepy:
        wait_for(lambda: state_of(request).lease_owner == "sleepy", what="sleepy to claim")
        with worker("other", JITSUIN_LEASE="2s"):
            wait_for(lambda: state_of(request).state == RequestState.READY, what="takeover")
        log = Path(os.environ.get("JITSUIN_DATA_DIR", "/tmp")) / "worker-sleepy.log"
        wait_for(lambda: "lease lost" in log.read_text(), timeout=30, what="sleepy to wake up")
        assert sleepy.poll() is None  # it carries on working
    assert Certificate.objects.count() == 1
    assert state_of(request).certificate.person == alice


def test_real_worker_processes_a_maintenance_request_when_the_window_ends(ca_hierarchy):
    from datetime import timedelta

    from django.utils import timezone

    from jitsuin.lifecycle.models import MaintenanceWindow

    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(seconds=4)
    )
    alice = make_person("alice")
    request = request_issue(alice, actor="user:alice", idempotency_key=key())
    assert request.state == RequestState.WAITING and request.not_before == window.ends_at
    with worker("patient"):
        time.sleep(2)
        assert state_of(request).state == RequestState.WAITING  # not before the end
        wait_for(lambda: state_of(request).state == RequestState.READY, what="after the window")
    ready = RequestTransition.objects.get(request=request, to_state="ready")
    assert ready.at >= window.ends_at
