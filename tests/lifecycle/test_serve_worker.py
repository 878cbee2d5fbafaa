"""The embedded default: `jitsuin serve` alone processes requests (its in-process worker)."""

from __future__ import annotations

import time

import pytest

from tests.serving import run_jitsuin, serving, site_env

pytestmark = pytest.mark.slow


def jitsuin(env: dict[str, str], *args: str) -> str:
    done = run_jitsuin(env, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_serve_processes_a_request_made_by_another_process(tmp_path):
    env = site_env(tmp_path, JITSUIN_DEMO="0", JITSUIN_SCHEDULER_INTERVAL="1s")
    with serving(env, log=tmp_path / "serve.log"):
        jitsuin(env, "user", "add", "dave", "--email", "dave@example.ac.jp")
        assert "queued" in jitsuin(env, "issue", "dave")  # no --wait: serve's worker does it
        deadline = time.monotonic() + 90
        while "ready" not in jitsuin(env, "requests", "--state", "ready"):
            assert time.monotonic() < deadline, jitsuin(env, "requests")
            time.sleep(0.5)
        out = tmp_path / "dave.p12"
        text = jitsuin(env, "issue", "dave", "--out", str(out))  # the open request, collected
        assert out.stat().st_size > 1000 and "PIN: " in text
