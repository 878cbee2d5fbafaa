"""A FreeRADIUS 3.2 for EAP-TLS tests, configured from docs/relying-parties.md, and eapol_test.

``start_radius`` copies the system configuration, writes an ``eap`` module (``eap_module``:
the documented block in CRL or OCSP mode with the test's paths), lets the caller add modules,
serves one site with the given ``post-auth`` section and waits for "Ready to process
requests"; ``start_live_radius`` does it for the ``live`` jitsuin with the documented sync
script. ``eap_tls`` is one login by eapol_test: SUCCESS or FAILURE. The pytest-free parts are
in radiusd.py (the benchmarks use them too).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.interop.radiusd import (
    EMPTY_POST_AUTH,
    SITE,
    RadiusFailed,
    RadiusServer,
    eap_module,
    eapol,
    free_port,
    launch,
)
from tests.peers import require_tool

__all__ = [
    "EMPTY_POST_AUTH",
    "SITE",
    "RadiusServer",
    "eap_module",
    "eap_tls",
    "free_port",
    "start_live_radius",
    "start_radius",
]


def start_radius(
    conf: Path,
    *,
    eap: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
) -> RadiusServer:
    """radiusd -X from a fresh copy of the system configuration in ``conf``, with the ``eap``
    module text, ``prepare(conf)`` for extra modules, and one site with ``post_auth``."""
    program = require_tool("freeradius")
    require_tool("eapol_test")
    try:
        return launch(program, conf, eap=eap, post_auth=post_auth, prepare=prepare)
    except RadiusFailed as exc:
        pytest.fail(str(exc))


def start_live_radius(
    live: Any,
    name: str,
    *,
    mode: str,
    post_auth: str = EMPTY_POST_AUTH,
    prepare: Callable[[Path], None] | None = None,
) -> RadiusServer:
    """A RADIUS server for the ``live`` jitsuin in CRL or OCSP ``mode``; the documented sync
    script runs each time, so starting one again is the documented "sync, then restart"."""
    synced = live.sync(live.dir / f"jitsuin-{name}")
    eap = eap_module(mode, certs=live.dir, jitsuin=synced, url=live.url)
    return start_radius(live.dir / f"radius-{name}", eap=eap, post_auth=post_auth, prepare=prepare)


def eap_tls(live: Any, port: int, client: str, *, nas: str | None = None) -> str:
    """One EAP-TLS login of ``client`` (its chain and key in live.dir): SUCCESS or FAILURE."""
    return eapol(live.dir, port, client, nas=nas)
