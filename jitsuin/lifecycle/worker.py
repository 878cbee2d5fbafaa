"""Running task workers: `jitsuin worker`, and the in-process worker of `jitsuin serve`."""

from __future__ import annotations

import threading


def start_background_worker() -> threading.Thread | None:
    """Start a daemon thread that runs queued tasks and the periodic scheduler."""
    return None  # filled in by the pipeline work (issue 3)
