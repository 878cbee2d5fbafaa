"""pkilint on what jitsuin serves (the CLI from PyPI `pkilint`, as in recipes/pkilint.md)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.peers import require_tool


def pkilint(tool: str, data: bytes, *args: str) -> None:
    """Fail with pkilint's findings unless ``data`` is clean at WARNING and above."""
    program = require_tool(tool)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "item.der"
        path.write_bytes(data)
        result = subprocess.run(
            [program, "lint", *args, "-s", "WARNING", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, f"{tool} findings:\n{result.stdout}{result.stderr}"
