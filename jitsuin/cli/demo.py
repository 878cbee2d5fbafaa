"""Demo data for the embedded default: profiles and sign-in accounts, clearly marked as demo."""

from __future__ import annotations

from typing import TextIO


def ensure_demo_data(out: TextIO) -> None:
    """Create the demo profile and accounts unless they exist; print their credentials."""
    del out  # filled in by the portal/access work (issue 5)
