"""Finding 6: everything jitsuin keeps in its data dir is for its own user only.

Deployments often make the data dir before the first start (a package, systemd's
StateDirectory= with mode 0755). The database holds session keys, TOTP seeds and password
hashes, and the outbox holds e-mails: none of it may be readable by other local accounts.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serving import ROOT, run_jitsuin, serving, site_env

pytestmark = pytest.mark.slow


def _env(data_dir: Path) -> dict[str, str]:
    return site_env(data_dir, JITSUIN_DEMO="1", JITSUIN_SCHEDULER_INTERVAL="1s")


def _modes(top: Path) -> dict[str, str]:
    """Every path under ``top`` (itself included) with its permission bits, in octal."""
    found = {".": f"{stat.S_IMODE(top.stat().st_mode):o}"}
    for path in top.rglob("*"):
        found[str(path.relative_to(top))] = f"{stat.S_IMODE(path.lstat().st_mode):o}"
    return found


def _older_version_left(data: Path) -> None:
    """A data dir made 0755 by the deployment, with files an older jitsuin created 0644."""
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # whatever the umask of the test run
    (data / "jitsuin.sqlite3").touch(mode=0o644)
    (data / "jitsuin.sqlite3").chmod(0o644)
    outbox = data / "outbox"
    outbox.mkdir()
    outbox.chmod(0o755)
    old_mail = outbox / "20250101-000000-1.log"
    old_mail.write_text("Subject: your certificate is ready\n")
    old_mail.chmod(0o644)


def test_serve_and_worker_keep_every_file_0600_and_every_directory_0700(tmp_path):
    data = tmp_path / "data"
    _older_version_left(data)
    env = _env(data)
    with serving(env, log=tmp_path / "serve.log"):
        added = run_jitsuin(env, "user", "add", "dave", "--email", "dave@example.ac.jp")
        assert added.returncode == 0, added.stderr
        assert "queued" in run_jitsuin(env, "issue", "dave").stdout  # serve's worker issues it
        deadline = time.monotonic() + 120
        while len(list((data / "outbox").iterdir())) < 2:  # the old e-mail and a new one
            assert time.monotonic() < deadline, "no e-mail was written to the outbox"
            time.sleep(0.5)
    worker = subprocess.Popen(
        [sys.executable, "-m", "jitsuin", "worker"], env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    time.sleep(4)
    worker.terminate()
    worker.wait(timeout=30)

    modes = _modes(data)
    for name in ("jitsuin.sqlite3", "secret_key", "kek.hex", "demo-credentials.txt", "keys"):
        assert name in modes
    assert any(name.startswith("keys/") for name in modes)
    directories = {n: m for n, m in modes.items() if (data / n).is_dir()}
    files = {n: m for n, m in modes.items() if n not in directories}
    assert set(directories.values()) == {"700"}, directories
    assert set(files.values()) == {"600"}, files


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the data dir another owner")
def test_a_shared_data_dir_owned_by_someone_else_is_refused_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    os.chown(data, 65534, 65534)  # nobody
    done = run_jitsuin(_env(data), "ca", "list")
    assert done.returncode != 0
    assert done.stderr.count("\n") <= 2 and "Traceback" not in done.stderr, done.stderr
    assert str(data) in done.stderr and "chmod 700" in done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # someone else's directory: left alone
