"""`jitsuin relying-party sync` as a host runs it: a subprocess, no Django, exit codes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jitsuin.agent.sync import CA_BUNDLE, CRL_BUNDLE
from jitsuin.pki.crl import RevokedEntry
from tests.agent.server import FakeJitsuin
from tests.peers import require_tool
from tests.pki.factories import TestPki, pem

# Runs the command in this interpreter and reports whether anything imported Django.
PROBE = """
import sys
from jitsuin.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("django loaded" if any(m.split(".")[0] == "django" for m in sys.modules) else "no django")
sys.exit(code)
"""


def jitsuin_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, "relying-party", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "no.such.settings"},
    )


def serve_now(jitsuin: FakeJitsuin, pki: TestPki, revoked: list[RevokedEntry]) -> None:
    now = datetime.now(UTC)
    jitsuin.published.bodies[CA_BUNDLE] = pem(pki.root.certificate) + pem(
        pki.intermediate.certificate
    )
    jitsuin.published.bodies[CRL_BUNDLE] = pem(pki.crl(signer=pki.root, at=now)) + pem(
        pki.crl(revoked, at=now)
    )


def arguments(jitsuin: FakeJitsuin, pki: TestPki, tmp_path: Path) -> list[str]:
    roots = tmp_path / "pinned.pem"
    roots.write_bytes(pem(pki.root.certificate))
    return ["sync", "--url", jitsuin.url, "--roots", str(roots), "--dir", str(tmp_path / "j")]


def test_help_explains_the_command_without_django():
    result = jitsuin_command("sync", "--help")
    assert result.returncode == 0
    assert "--roots" in result.stdout and "--reload-command" in result.stdout
    assert "Exit status" in result.stdout
    assert result.stdout.strip().endswith("no django")


@pytest.mark.peers
def test_a_sync_runs_without_django_and_openssl_accepts_the_directory(jitsuin, pki, tmp_path):
    openssl = require_tool("openssl")
    client = pki.client()
    serve_now(jitsuin, pki, [])
    args = arguments(jitsuin, pki, tmp_path)
    result = jitsuin_command(*args, "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("loaded CRL") == 2
    assert result.stdout.strip().endswith("no django")
    (tmp_path / "client.pem").write_bytes(pem(client))
    (tmp_path / "ca.pem").write_bytes(pem(pki.intermediate.certificate))
    verify = [openssl, "verify", "-crl_check_all", "-CApath", str(tmp_path / "j" / "hashed")]
    verify += ["-untrusted", str(tmp_path / "ca.pem"), str(tmp_path / "client.pem")]
    assert subprocess.run(verify, capture_output=True).returncode == 0

    serve_now(jitsuin, pki, [RevokedEntry(client.serial_number, datetime.now(UTC))])
    result = jitsuin_command(*args, "--reload-command", "true")
    assert result.returncode == 0, result.stderr
    assert "loaded CRL 1 of Example Univ Client CA G1 (was 1; 1 revoked" in result.stdout
    assert "reloaded: true" in result.stdout
    refused = subprocess.run(verify, capture_output=True, text=True)
    assert refused.returncode != 0 and "certificate revoked" in refused.stdout + refused.stderr

    result = jitsuin_command(*args)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "no django"  # nothing changed: not a line


@pytest.mark.parametrize("down", ["stopped", "503"])
def test_one_shot_exits_1_when_jitsuin_fails(jitsuin, pki, tmp_path, down):
    serve_now(jitsuin, pki, [])
    args = arguments(jitsuin, pki, tmp_path)
    assert jitsuin_command(*args).returncode == 0
    if down == "stopped":
        jitsuin.stop()
    else:
        jitsuin.published.bodies[CRL_BUNDLE] = 503
    result = jitsuin_command(*args, "--reload-command", "true")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "kept the last good set" in result.stderr
    assert "reloaded" not in result.stdout


def test_bad_arguments_exit_2(tmp_path):
    result = jitsuin_command("sync", "--url", "http://x", "--roots", str(tmp_path / "none"))
    assert result.returncode == 2
    result = jitsuin_command("sync", "--url", "x", "--roots", "/nonexistent", "--dir", "d")
    assert result.returncode == 2 and "cannot read --roots" in result.stderr
