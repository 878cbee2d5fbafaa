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


def test_serve_records_its_public_url_for_the_links_in_e_mails(tmp_path):
    """Mail queued by another process (the CLI, the worker) links to the server's URL."""
    from tests.serving import run_jitsuin

    env = site_env(tmp_path, JITSUIN_PUBLIC_URL="http://portal.localhost:8765")
    with serving(env, "--no-worker", log=tmp_path / "serve.log"):
        pass
    other = {**env, "JITSUIN_PUBLIC_URL": "http://127.0.0.1:9999"}
    script = (
        "from jitsuin.notify.public_url import mail_url, mismatch; print(mail_url(), mismatch())"
    )
    result = run_jitsuin(other, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert "\nhttp://portal.localhost:8765 JITSUIN_PUBLIC_URL here is" in result.stdout
    assert "the server's is http://portal.localhost:8765" in result.stdout
