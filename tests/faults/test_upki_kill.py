"""The upki connector's worker killed between an upload and its result page, then started
again: every request ends once, no application reaches the national service twice (issue
18). Real processes on a PostgreSQL of the test's own; the service is the simulator."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller

from tests.faults.conftest import QUEUE_ISSUES, ROOT, make_site, wait_for
from tests.notify.smtp import free_port
from tests.upki.national import IntoMaildir, applications_for, upki_env
from tests.upstream import sim

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

STATE = """
import json
from jitsuin.lifecycle.models import Certificate, Request
from jitsuin.upki.models import Batch, Line
print("STATE" + json.dumps([
    sorted(Request.objects.values_list("state", flat=True)),
    Certificate.objects.count(),
    sorted(Line.objects.values_list("dn", flat=True)),
    sorted(Batch.objects.values_list("state", flat=True)),
]))
"""
HANG_AFTER_UPLOAD = (
    "import runpy, tests.chaos.upki; runpy.run_module('jitsuin', run_name='__main__')"
)


def test_a_worker_killed_between_upload_and_result_uploads_nothing_twice(pg_cluster, tmp_path):
    inbox = IntoMaildir(tmp_path / "Maildir")
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    sim.make(tmp_path / "sim", smtp.port, issue_delay=0.5, revoke_delay=0.5)
    service = sim.serve(tmp_path / "sim")
    settings = {
        **upki_env(tmp_path / "sim", tmp_path / "Maildir", service.officer_port),
        "JITSUIN_UPKI_BATCH_INTERVAL": "1s",
        "JITSUIN_UPKI_POLL": "2s",
    }
    site = make_site(tmp_path / "site", pg_cluster.url, **settings)
    site.data_dir.mkdir()
    site.run("migrate", "-v", "0")
    site.python(QUEUE_ISSUES.format(n=3, prefix="k"))
    uploaded = tmp_path / "uploaded.tsv"
    path = f"{ROOT}:{site.env.get('PYTHONPATH', '')}".rstrip(":")
    with open(tmp_path / "doomed.log", "w") as log:
        doomed = subprocess.Popen(
            [sys.executable, "-c", HANG_AFTER_UPLOAD, "worker", "--worker-id", "doomed"],
            env={**site.env, "CHAOS_UPLOADED": str(uploaded), "PYTHONPATH": path},
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(uploaded.exists, 120, "the upload", pause=0.2)
        doomed.send_signal(signal.SIGKILL)  # the service took the file; its page is never read
        doomed.wait()
        site.start("worker", "--worker-id", "rescuer", name="rescuer")
        state = wait_for(
            lambda: (s := _state(site))[0] == ["ready"] * 3 and s, 180, "every request ready"
        )
    finally:
        site.stop_all()
        service.stop()
        smtp.stop()
    _states, certificates, dns, batches = state
    assert certificates == 3
    assert [applications_for(tmp_path / "sim", dn) for dn in dns] == [1, 1, 1]
    assert batches == ["uploading"]  # its answer never came; the mails decided its lines
    assert b"\r\n".join(sorted(uploaded.read_bytes().splitlines())).count(b"CN=k") == 3


def _state(site):  # type: ignore[no-untyped-def]
    return json.loads(site.python(STATE).split("STATE", 1)[1].splitlines()[0])
