"""A worker killed while holding a request: another takes it over within lease + one sweep,
and the dead worker's RUNNING task row is reaped by heartbeat."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.chaos import chaos_env
from tests.faults.conftest import QUEUE_ISSUES, make_site, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LEASE = 10.0
SWEEP = 5.0

STATE = """
import json
from django_tasks_db.models import DBTaskResult
from jitsuin.lifecycle.models import Request
r = Request.objects.get()
print("STATE" + json.dumps([r.state, r.lease_owner,
    DBTaskResult.objects.filter(status="RUNNING").count()]))
"""


def _state(site):  # type: ignore[no-untyped-def]
    return json.loads(site.python(STATE).split("STATE", 1)[1].splitlines()[0])


def test_a_killed_workers_request_is_recovered_within_lease_plus_sweep(pg_cluster, tmp_path):
    site = make_site(
        tmp_path, pg_cluster.url, JITSUIN_LEASE=f"{LEASE:.0f}s", JITSUIN_SWEEP_INTERVAL="5s"
    )
    site.run("migrate", "-v", "0")
    site.run("ca", "init")
    site.python(QUEUE_ISSUES.format(n=1, prefix="k"))
    # This worker signs, then hangs before answering (a crash between sign and record).
    doomed = site.start(
        "worker", "--worker-id", "doomed", name="doomed", **chaos_env("hang-after-sign")
    )
    wait_for(lambda: _state(site)[:2] == ["processing", "doomed"], 90, "the lease")
    doomed.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    doomed.wait()
    site.start("worker", "--worker-id", "rescuer", name="rescuer")
    wait_for(lambda: _state(site)[0] == "ready", 90, "the takeover", pause=0.2)
    recovered = time.monotonic() - killed_at
    try:
        # The dead worker's RUNNING task row is reaped once its heartbeat is stale.
        wait_for(lambda: _state(site)[2] == 0, 90, "the reaping of the dead worker's task")
    finally:
        site.stop_all()
    # Bound: lease + one sweep interval, plus the rescuer's start-up on a loaded machine.
    assert recovered <= LEASE + SWEEP + 20, recovered


BATCH_STATE = """
import json
from django_tasks_db.models import DBTaskResult
from jitsuin.lifecycle.models import Certificate, Request
print("STATE" + json.dumps([
    sorted(Request.objects.values_list("state", flat=True)),
    sorted(set(Request.objects.exclude(lease_owner="").values_list("lease_owner", flat=True))),
    DBTaskResult.objects.filter(status="RUNNING").count(),
    Certificate.objects.count(),
    list(Request.objects.values_list("certificate__person_id", "person_id")),
]))
"""


def _batch_state(site):  # type: ignore[no-untyped-def]
    return json.loads(site.python(BATCH_STATE).split("STATE", 1)[1].splitlines()[0])


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_issues_each_once(
    pg_cluster, tmp_path
):
    n = 5
    site = make_site(
        tmp_path, pg_cluster.url, JITSUIN_LEASE=f"{LEASE:.0f}s", JITSUIN_SWEEP_INTERVAL="5s"
    )
    site.run("migrate", "-v", "0")
    site.run("ca", "init")
    site.python(QUEUE_ISSUES.format(n=n, prefix="b"))
    # The doomed worker claims the whole batch, signs the first certificate and hangs.
    doomed = site.start(
        "worker", "--worker-id", "doomed", name="doomed", **chaos_env("hang-after-sign")
    )
    wait_for(
        lambda: _batch_state(site)[:2] == [["processing"] * n, ["doomed"]], 90, "the batch's lease"
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    site.start("worker", "--worker-id", "rescuer", name="rescuer")
    try:
        wait_for(lambda: _batch_state(site)[0] == ["ready"] * n, 120, "the takeover", pause=0.5)
        wait_for(lambda: _batch_state(site)[2] == 0, 90, "the reaping of the dead worker's tasks")
    finally:
        site.stop_all()
    _states, _owners, _running, certificates, holders = _batch_state(site)
    assert certificates == n  # one each: the signed-but-unrecorded one was never recorded
    assert all(holder == person for holder, person in holders)
