import subprocess
import sys


def test_jitsuin_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "jitsuin", "--help"], capture_output=True, text=True, check=True
    )
    assert "serve" in out.stdout and "ca" in out.stdout


def test_ca_help_explains_the_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "jitsuin", "ca", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "create-intermediate" in out.stdout and "activate" in out.stdout
