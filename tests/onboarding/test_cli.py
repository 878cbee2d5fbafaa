"""`jitsuin onboarding UID --format FMT --out FILE`: the same rules as the portal."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import PickupState
from jitsuin.lifecycle.services import reveal_pin
from jitsuin.onboarding.formats import names

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_profile_is_saved_privately_and_the_pin_is_not_printed(wifi, pickup, tmp_path):
    out = tmp_path / "alice.conf"
    printed = run("onboarding", "alice", "--format", "wpa-supplicant", "--out", str(out))
    assert f"saved {out}" in printed and "download page" in printed
    assert reveal_pin(pickup, actor="test") not in printed
    assert b"alice@example.ac.jp" in out.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    pickup.refresh_from_db()
    assert pickup.download_count == 1 and pickup.state == PickupState.COLLECTED
    built = AuditEvent.objects.get(action="onboarding.profile_built")
    assert built.actor.startswith("cli:") and built.data["format"] == "wpa-supplicant"


def test_without_a_pickup_in_its_window_nothing_is_saved(wifi, alice, tmp_path):
    out = tmp_path / "none.conf"
    with pytest.raises(CommandError, match="alice has no certificate within its download window"):
        run("onboarding", "alice", "--format", "onc", "--out", str(out))
    assert not out.exists()


def test_unconfigured_wifi_is_refused_with_its_code(pickup, tmp_path):
    with pytest.raises(CommandError, match=r"\[onboarding_not_configured\]$"):
        run("onboarding", "alice", "--format", "onc", "--out", str(tmp_path / "x.onc"))
    pickup.refresh_from_db()
    assert pickup.download_count == 0


def test_an_unwritable_destination_is_refused_before_the_download(wifi, pickup, tmp_path):
    with pytest.raises(CommandError, match="not a writable directory"):
        run("onboarding", "alice", "--format", "onc", "--out", str(tmp_path / "no" / "x.onc"))
    pickup.refresh_from_db()
    assert pickup.download_count == 0


def jitsuin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"JITSUIN_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_help_lists_the_formats_of_the_registry(tmp_path):
    done = jitsuin(tmp_path, "onboarding", "--help")
    assert done.returncode == 0, done.stderr
    for name in names():
        assert name in done.stdout
    assert "onboarding" in jitsuin(tmp_path, "--help").stdout


@pytest.mark.slow
def test_an_error_is_one_line_without_a_traceback(tmp_path):
    done = jitsuin(tmp_path, "onboarding", "nobody", "--format", "onc", "--out", "x.onc")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "CommandError: no person with uid 'nobody' (add one with `jitsuin user add`)"
    ]
    bad = jitsuin(tmp_path, "onboarding", "nobody", "--format", "exe", "--out", "x")
    assert bad.returncode == 2 and "invalid choice: 'exe'" in bad.stderr
