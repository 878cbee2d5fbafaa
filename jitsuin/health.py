"""/healthz: is this instance able to serve, and is the data relying parties fetch fresh?

Apps register checks in ``AppConfig.ready()``; each returns ``(status, detail)`` where status
is ``ok``, ``degraded`` or ``down``. The worst status decides the HTTP code: only ``down``
answers 503, so a load balancer keeps a degraded instance that still serves CRLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

Check = Callable[[], tuple[str, Any]]
_CHECKS: dict[str, Check] = {}
_ORDER = {"ok": 0, "degraded": 1, "down": 2}


def register_check(name: str, check: Check) -> None:
    _CHECKS[name] = check


def _database() -> tuple[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok", connection.vendor


register_check("database", _database)


def run_checks() -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    worst = "ok"
    for name, check in _CHECKS.items():
        try:
            status, detail = check()
        except Exception as exc:  # a failing check is itself the finding
            status, detail = "down", f"{type(exc).__name__}: {exc}"
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
