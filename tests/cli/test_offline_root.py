"""`jitsuin ca offline`: the ceremony's commands without a database, the online half with one,
and bad input as one line naming the cause."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_bad_input import assert_message

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def jitsuin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JITSUIN_", "DATABASE_"))}
    base.update(
        JITSUIN_DATA_DIR=str(tmp_path / "online"),
        JITSUIN_DEMO="0",
        JITSUIN_PUBLIC_URL="http://pki.example.ac.jp",
    )
    return base


def test_a_ceremony_and_its_imports_from_the_command_line(env, tmp_path):
    (tmp_path / "pass").write_text("correct horse battery staple\n")
    vault, passphrase = str(tmp_path / "vault"), str(tmp_path / "pass")
    # The offline machine: no data directory, no database.
    offline_env = {k: v for k, v in env.items() if k != "JITSUIN_DATA_DIR"}
    done = jitsuin(
        offline_env,
        *("ca", "offline", "init", "--vault", vault, "--name", "Example Offline Root"),
        *("--organization", "Example Univ", "--public-url", "http://pki.example.ac.jp"),
        *("--passphrase-file", passphrase, "--out", str(tmp_path / "root.json")),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "root.json").read_text())["kind"] == "root"

    assert jitsuin(env, "migrate", "-v0").returncode == 0
    imported = jitsuin(env, "ca", "offline", "import", str(tmp_path / "root.json"))
    assert "imported offline root Example Offline Root with its CRL 1" in imported.stdout
    request = tmp_path / "request.json"
    asked = jitsuin(env, "ca", "offline", "request", "intermediate", "G1", "--out", str(request))
    assert asked.returncode == 0, asked.stderr

    # Without a terminal and without --yes, nothing is signed.
    answer = str(tmp_path / "answer.json")
    refused = jitsuin(
        offline_env, "ca", "offline", "sign", str(request), "--vault", vault,
        "--passphrase-file", passphrase, "--out", answer,
    )  # fmt: skip
    assert_message(refused, "--yes")
    signed = jitsuin(
        offline_env, "ca", "offline", "sign", str(request), "--vault", vault,
        "--passphrase-file", passphrase, "--out", answer, "--yes",
    )  # fmt: skip
    assert signed.returncode == 0 and "intermediate signed" in signed.stdout, signed.stderr
    done = jitsuin(env, "ca", "offline", "import", answer)
    assert "imported G1 (pending)" in done.stdout, done.stderr
    status = jitsuin(env, "ca", "offline", "status")
    assert "CRL 1 valid until" in status.stdout

    # Bad input: one line naming the cause, no traceback.
    (tmp_path / "wrong").write_text("not the passphrase at all\n")
    assert_message(
        jitsuin(
            offline_env, "ca", "offline", "sign", str(request), "--vault", vault,
            "--passphrase-file", str(tmp_path / "wrong"), "--out", str(tmp_path / "x.json"),
            "--yes",
        ),
        "passphrase does not open",
    )  # fmt: skip
    assert_message(jitsuin(env, "ca", "offline", "import", answer), "already imported")
    (tmp_path / "junk.json").write_text("{}")
    assert_message(jitsuin(env, "ca", "offline", "import", str(tmp_path / "junk.json")), "format")
