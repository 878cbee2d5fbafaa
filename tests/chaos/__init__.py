"""Faults of a real upstream for tests: a chaos connector in place of the builtin one.

The builtin connector has no fault hooks. ``tests.chaos.connector.ChaosConnector`` is the
builtin connector plus faults, put in its place through ``JITSUIN_CONNECTORS``, which loads
any importable class: ``chaos_env(...)`` is the environment of a jitsuin process (a real
worker, started with the repository root as its working directory) whose builtin connector
fails as asked; ``tests.chaos.connector.chaos(...)`` does the same in this process within a
block. This module needs no Django (benchmarks import it before any set-up).

Faults (``CHAOS_FAIL``, off when unset): ``always`` (every call raises), ``once`` (the first
attempt of each request raises), ``hang`` (the call blocks for ``CHAOS_HANG``, default one
hour, as a dead upstream would), ``hang-after-sign`` (signs, then blocks before answering: a
crash between signing and recording), ``reject`` (a permanent refusal). Another value fails
each request the worker takes, naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

FAIL_MODES = ("", "always", "once", "hang", "hang-after-sign", "reject")
# The JITSUIN_CONNECTORS item that makes the chaos connector the builtin one.
AS_BUILTIN = "builtin=tests.chaos.connector:ChaosConnector"
ROOT = Path(__file__).resolve().parents[2]


def chaos_env(fail: str, *, hang: str = "") -> dict[str, str]:
    """Environment variables for a jitsuin process whose builtin connector fails as ``fail``
    (one of FAIL_MODES), blocking for ``hang`` (a duration) where it hangs."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {"JITSUIN_CONNECTORS": AS_BUILTIN, "CHAOS_FAIL": fail, "PYTHONPATH": path}
    if hang:
        env["CHAOS_HANG"] = hang
    return env
