"""`jitsuin serve` on a free port answers /healthz."""

import json
import urllib.request

import pytest

from tests.serving import serving, site_env

pytestmark = pytest.mark.slow


def test_serve_starts_and_answers_healthz(tmp_path):
    env = site_env(tmp_path)
    with serving(env, "--no-worker", log=tmp_path / "serve.log") as base:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
            assert r.status == 200
            body = json.load(r)
    assert body["checks"]["database"]["status"] == "ok"
