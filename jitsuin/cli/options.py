"""Small helpers shared by the `jitsuin` subcommands."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from jitsuin.pki.profiles import CLIENT_AUTH


def longest_profile_validity() -> timedelta:
    """The longest validity any profile asks for; an issuing CA must outlive it."""
    return CLIENT_AUTH.validity


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (0600 from the start, never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
