"""Bad input to the CLI: each case gives a short message naming the cause, a non-zero exit
status and no traceback (``--traceback`` shows the details when asked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
REFUSED = "postgres://postgres@127.0.0.1:1/jitsuin"  # nothing listens on port 1


def jitsuin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jitsuin", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JITSUIN_", "DATABASE_"))}
    base.update(JITSUIN_DATA_DIR=str(tmp_path / "data"), JITSUIN_DEMO="0")
    return base


def assert_message(done: subprocess.CompletedProcess[str], *words: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    message = [line for line in done.stderr.splitlines() if line.strip()]
    assert 1 <= len(message) <= 3, done.stderr  # the cause, and what to do
    for word in words:
        assert word in done.stderr, done.stderr


CASES = [
    # (case, environment, command, words the message must contain)
    ("database unreachable: user add", {"DATABASE_URL": REFUSED},
     ["user", "add", "x", "--email", "x@example.ac.jp"],
     ["cannot reach the database", "DATABASE_URL"]),
    ("database unreachable: worker", {"DATABASE_URL": REFUSED}, ["worker", "--batch"],
     ["cannot reach the database"]),
    ("database unreachable: serve", {"DATABASE_URL": REFUSED}, ["serve", "--port", "0"],
     ["cannot reach the database"]),
    ("DATABASE_URL of another kind", {"DATABASE_URL": "mysql://u@h/db"}, ["requests"],
     ["DATABASE_URL"]),
    ("DATABASE_URL garbage", {"DATABASE_URL": "garbage"}, ["requests"], ["DATABASE_URL"]),
    ("a negative duration", {"JITSUIN_BUILTIN_DELAY": "-5s"}, ["requests"],
     ["JITSUIN_BUILTIN_DELAY"]),
    ("a lease that is no duration", {"JITSUIN_LEASE": "forever"}, ["worker", "--batch"],
     ["JITSUIN_LEASE"]),
    ("a malformed KEK", {"JITSUIN_KEK": "xyz"}, ["requests"], ["JITSUIN_KEK"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "extra", "args", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_a_message_not_a_traceback(env, case, extra, args, words):
    env.update(extra)
    assert_message(jitsuin(env, *args), *words)


def test_a_database_that_does_not_exist(env):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres:", "postgresql:")):
        pytest.skip("needs a PostgreSQL server (DATABASE_URL=postgres://...)")
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/jitsuin_no_such_database"
    assert_message(
        jitsuin(env, "user", "add", "x", "--email", "x@example.ac.jp"),
        "does not exist",
        "DATABASE_URL",
    )


def test_a_data_directory_that_is_a_file(env, tmp_path):
    (tmp_path / "data").write_text("not a directory")
    assert_message(jitsuin(env, "requests"), "JITSUIN_DATA_DIR")


def test_traceback_shows_the_details_when_asked(env):
    env["DATABASE_URL"] = "garbage"
    done = jitsuin(env, "requests", "--traceback")
    assert done.returncode != 0 and "Traceback" in done.stderr


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A small file system of the test's own (needs root to mount; skipped otherwise)."""
    mounted: list[Path] = []

    def mount(name: str, *options: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
            capture_output=True,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_data_directory_on_a_read_only_file_system(env, tmpfs):
    env["JITSUIN_DATA_DIR"] = str(tmpfs("ro", "ro", "size=1m") / "data")
    assert_message(jitsuin(env, "requests"), "JITSUIN_DATA_DIR")


def test_a_full_disk_at_ca_init(env, tmpfs, tmp_path):
    data = tmpfs("full", "size=256k")
    env["JITSUIN_DATA_DIR"] = str(data)
    # Its own SQLite database beside the full disk (whatever DATABASE_URL says).
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert jitsuin(env, "migrate", "-v", "0").returncode == 0
    assert jitsuin(env, "requests").returncode == 0  # makes the secret key and KEK files
    fd = os.open(data / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # the disk is full
    finally:
        os.close(fd)
    done = jitsuin(env, "ca", "init")
    assert_message(done, "no space left")
    assert "created" not in done.stdout
