"""/healthz: is this instance able to serve, and is the data relying parties fetch fresh?

Apps register checks in ``AppConfig.ready()``; each returns ``(status, detail)`` where status
is ``ok``, ``degraded`` or ``down``. The worst status decides the HTTP code: only ``down``
answers 503, so a load balancer keeps a degraded instance that still serves CRLs.

A load balancer asks every second, from every instance. The database check (liveness) runs
on every request; the other checks (a dozen queries: CRL and OCSP freshness, the pipeline,
campaigns, onboarding) report on things that change over minutes, so a process reuses their
results for ``JITSUIN_PUBLIC_CACHE_TTL`` (2 s). ``jitsuin.wsgi`` answers /healthz before
Django (``jitsuin.revocation.served``), with the same body and headers as ``healthz`` here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

Check = Callable[[], tuple[str, Any]]
_CHECKS: dict[str, Check] = {}
_LIVE: set[str] = set()  # run on every request; the others' results are reused a while
_ORDER = {"ok": 0, "degraded": 1, "down": 2}
_reused: dict[str, tuple[float, tuple[str, Any]]] = {}
_reused_lock = threading.Lock()


def register_check(name: str, check: Check, *, live: bool = False) -> None:
    """``live``: run on every request (liveness); else reused for JITSUIN_PUBLIC_CACHE_TTL."""
    _CHECKS[name] = check
    if live:
        _LIVE.add(name)
    else:
        _LIVE.discard(name)


def forget_results() -> None:
    with _reused_lock:
        _reused.clear()


def _reuse_for() -> float:
    from jitsuin.config import current

    return current().publishing.public_cache_ttl.total_seconds()


def _database() -> tuple[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok", connection.vendor


register_check("database", _database, live=True)


def _run(check: Check) -> tuple[str, Any]:
    try:
        return check()
    except Exception as exc:  # a failing check is itself the finding
        return "down", f"{type(exc).__name__}: {exc}"


def run_checks() -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    worst = "ok"
    ttl = _reuse_for()
    for name, check in _CHECKS.items():
        if name in _LIVE or ttl <= 0:
            status, detail = _run(check)
        else:
            now = time.monotonic()
            with _reused_lock:
                kept = _reused.get(name)
            if kept is not None and now - kept[0] < ttl:
                status, detail = kept[1]
            else:
                status, detail = _run(check)
                with _reused_lock:
                    _reused[name] = (now, (status, detail))
        results[name] = {"status": status, "detail": detail}
        if _ORDER[status] > _ORDER[worst]:
            worst = status
    return worst, results


def healthz(request: HttpRequest) -> JsonResponse:
    status, checks = run_checks()
    response = JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "down" else 200
    )
    response["Cache-Control"] = "no-store"
    return response
