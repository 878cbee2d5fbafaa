"""`jitsuin signer ...` from the shell: help pages, and wrong input in one line."""

from __future__ import annotations

import pytest

from tests.serving import run_jitsuin, site_env

pytestmark = pytest.mark.slow


def test_each_subcommand_has_a_help_page(tmp_path):
    env = site_env(tmp_path / "data")
    for action in ("init", "serve", "add-ra", "remove-ra", "status", "pull-crls"):
        done = run_jitsuin(env, "signer", action, "--help")
        assert done.returncode == 0 and "usage:" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--listen", "127.0.0.1:0"], "run `jitsuin signer init --host NAME`"),
        (
            ["add-ra", "ra", "--profiles", "client-auth", "--namespace", "x.jp", "--output", "o"],
            "jitsuin signer init",
        ),
        (["remove-ra", "nobody"], "no RA named 'nobody'"),
        (["serve", "--listen", "nowhere"], "give HOST:PORT"),
    ],
)
def test_wrong_input_is_one_line_without_a_traceback(tmp_path, args, message):
    done = run_jitsuin(site_env(tmp_path / "data"), "signer", *args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) <= 2, done.stderr
