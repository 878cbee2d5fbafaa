"""`jitsuin recovery init-key` (offline, no database) and `jitsuin recovery process`."""

from __future__ import annotations

import stat
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jitsuin.config import current
from jitsuin.lifecycle import recovery
from jitsuin.lifecycle.models import Pickup, RecoveryState
from jitsuin.pki.keyarchive import load_recovery_private_key, load_recovery_public_key


def _init_key(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", "recovery", "init-key", *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "JITSUIN_DATA_DIR": "/nonexistent/never-made"},
    )


def test_init_key_makes_an_encrypted_pair_without_a_database(tmp_path):
    (tmp_path / "pp").write_text("a passphrase kept in the safe\n")
    out = _init_key("--out", str(tmp_path / "media"), "--passphrase-file", str(tmp_path / "pp"))
    assert out.returncode == 0, out.stderr
    private = (tmp_path / "media" / "recovery-key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in private
    assert stat.S_IMODE((tmp_path / "media" / "recovery-key.pem").stat().st_mode) == 0o600
    public = load_recovery_public_key((tmp_path / "media" / "recovery-public.pem").read_bytes())
    assert public.key_size == 4096
    load_recovery_private_key(private, b"a passphrase kept in the safe")
    assert "JITSUIN_KEY_RECOVERY_KEY" in out.stdout
    again = _init_key("--out", str(tmp_path / "media"), "--passphrase-file", str(tmp_path / "pp"))
    assert again.returncode == 1 and "not overwritten" in again.stderr


def test_init_key_refuses_a_short_passphrase_and_has_help(tmp_path):
    (tmp_path / "pp").write_text("short\n")
    out = _init_key("--out", str(tmp_path / "m"), "--passphrase-file", str(tmp_path / "pp"))
    assert out.returncode == 1 and "at least 12" in out.stderr
    assert "offline" in _init_key("--help").stdout


@pytest.mark.django_db
def test_process_turns_approved_recoveries_into_pickups(alice, alice_cert, offline_dir):
    asked = recovery.request_own_recovery(
        alice, alice_cert.key_archive.pk, user=alice.user, actor="user:alice", reason="lost"
    )
    out = StringIO()
    call_command(
        "recovery",
        "process",
        "--key",
        str(offline_dir / "recovery-key.pem"),
        "--passphrase-file",
        str(offline_dir / "passphrase"),
        stdout=out,
    )
    assert f"#{asked.pk} (alice): recovered" in out.getvalue()
    assert Pickup.objects.filter(recovery=asked).exists()
    listing = StringIO()
    call_command("recovery", "list", stdout=listing)
    assert "recovered" in listing.getvalue()


@pytest.mark.django_db
def test_process_refuses_a_wrong_passphrase_and_a_key_in_the_data_dir(
    alice, alice_cert, offline_dir
):
    asked = recovery.request_own_recovery(
        alice, alice_cert.key_archive.pk, user=alice.user, actor="user:alice", reason="lost"
    )
    (offline_dir / "wrong").write_text("not the passphrase at all\n")
    key = str(offline_dir / "recovery-key.pem")
    with pytest.raises(CommandError, match="passphrase"):
        call_command(
            "recovery", "process", "--key", key, "--passphrase-file", str(offline_dir / "wrong")
        )
    inside = current().data_dir / "recovery-key.pem"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes((offline_dir / "recovery-key.pem").read_bytes())
    try:
        with pytest.raises(CommandError, match="inside the data directory"):
            call_command(
                "recovery",
                "process",
                "--key",
                str(inside),
                "--passphrase-file",
                str(offline_dir / "passphrase"),
            )
    finally:
        inside.unlink()
    asked.refresh_from_db()
    assert asked.state == RecoveryState.APPROVED


@pytest.mark.django_db
def test_process_without_the_recovery_key_recovers_nothing(alice, alice_cert, offline_dir):
    asked = recovery.request_own_recovery(
        alice, alice_cert.key_archive.pk, user=alice.user, actor="user:alice", reason="lost"
    )
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "recovery",
            "process",
            "--key",
            str(offline_dir / "not-plugged-in.pem"),
            "--passphrase-file",
            str(offline_dir / "passphrase"),
        )
    asked.refresh_from_db()
    assert asked.state == RecoveryState.APPROVED
    assert not Pickup.objects.filter(recovery=asked).exists()
