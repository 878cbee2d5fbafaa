"""Real peer programs for interop tests: skip when missing on a laptop, fail in CI.

CI sets JITSUIN_REQUIRE_PEERS=1, under which a missing peer fails the test instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

VENV_BIN = str(Path(sys.executable).parent)


def peers_required() -> bool:
    return os.environ.get("JITSUIN_REQUIRE_PEERS") == "1"


def require_tool(name: str) -> str:
    """The path of program ``name`` (looked up in the venv, PATH and sbin)."""
    path = shutil.which(
        name, path=os.pathsep.join([VENV_BIN, os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    )
    if path:
        return path
    message = f"peer program {name!r} is not installed"
    if peers_required():
        pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
    pytest.skip(message)
