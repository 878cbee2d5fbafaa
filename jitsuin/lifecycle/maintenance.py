"""Maintenance windows: requests made during one are accepted and wait until its end."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from jitsuin.lifecycle import transitions
from jitsuin.lifecycle.models import (
    WAIT_MAINTENANCE,
    MaintenanceScope,
    MaintenanceWindow,
    Request,
    RequestState,
)

# Windows that start within this time are announced (the pages' banner) before they begin.
ANNOUNCE_AHEAD = timedelta(days=7)


def _scope_filter(scope: str) -> Q:
    if scope == MaintenanceScope.BOTH:
        return Q()
    return Q(scope__in=[scope, MaintenanceScope.BOTH])


def windows_at(
    scope: str, now: datetime | None = None, *, connector: str = ""
) -> QuerySet[MaintenanceWindow]:
    """Windows of ``scope`` (issue, revoke or both) open at ``now``, latest end first."""
    now = now or timezone.now()
    windows = MaintenanceWindow.objects.filter(
        _scope_filter(scope), starts_at__lte=now, ends_at__gt=now
    )
    if connector:
        windows = windows.filter(connector=connector)
    return windows.order_by("-ends_at")


def active_window(
    scope: str, now: datetime | None = None, *, connector: str = ""
) -> MaintenanceWindow | None:
    """The window of ``scope`` in force at ``now`` (the one that ends last), or None.

    Overlapping or back-to-back windows are followed through, so the returned window's
    ``ends_at`` is the first instant at which the work can really run.
    """
    now = now or timezone.now()
    window = windows_at(scope, now, connector=connector).first()
    if window is None:
        return None
    # A window that starts exactly when this one ends extends the wait.
    for _ in range(20):
        following = windows_at(scope, window.ends_at, connector=connector).first()
        if following is None or following.ends_at <= window.ends_at:
            break
        window = following
    return window


def hold_new_request(
    request: Request,
    *,
    actor: str,
    now: datetime,
    windows: dict[str, MaintenanceWindow | None] | None = None,
) -> Request:
    """A request just made during a window of its kind waits until the window's end (the one
    door for issue and revoke requests). ``windows``: the window per connector, when a batch
    reads it once for all its requests."""
    windows = {} if windows is None else windows
    if request.connector not in windows:
        windows[request.connector] = active_window(request.kind, now, connector=request.connector)
    window = windows[request.connector]
    if window is None:
        return request
    return transitions.transition(
        request,
        RequestState.WAITING,
        actor=actor,
        now=now,
        note=f"maintenance until {window.ends_at.isoformat()}",
        not_before=window.ends_at,
        wait_reason=WAIT_MAINTENANCE,
        locked=True,
    )


def upcoming(now: datetime | None = None) -> QuerySet[MaintenanceWindow]:
    """Windows not yet over, soonest first (for banners and notices)."""
    now = now or timezone.now()
    return MaintenanceWindow.objects.filter(ends_at__gt=now).order_by("starts_at")
