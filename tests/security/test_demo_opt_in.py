"""Note 12c: demo accounts (a CA administrator among them, its password and TOTP key printed)
exist only when asked for: `make run` asks, a plain `jitsuin serve` does not."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from jitsuin.cli.demo import DEMO_ACCOUNTS, credentials_path, ensure_demo_data
from jitsuin.config import JitsuinConfig

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_configuration_makes_no_demo_accounts():
    assert JitsuinConfig.from_env({}).demo is False
    assert JitsuinConfig.from_env({"JITSUIN_DEMO": "1"}).demo is True


@pytest.mark.django_db
def test_serve_without_jitsuin_demo_creates_no_accounts(ca_hierarchy):
    # The test run leaves JITSUIN_DEMO unset, as a plain `jitsuin serve` would.
    credentials_path().unlink(missing_ok=True)  # other tests share the data directory
    out = io.StringIO()
    ensure_demo_data(out)  # what `jitsuin serve` calls on every start
    usernames = [a.username for a in DEMO_ACCOUNTS]
    assert not get_user_model().objects.filter(username__in=usernames).exists()
    assert out.getvalue() == "" and not credentials_path().exists()


def test_make_run_is_the_demo():
    plan = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "JITSUIN_DEMO=1" in plan and "jitsuin serve" in plan
