"""Sign-in throttling: how django-axes sees jitsuin (the client address, a growing cool-off),
and the limit per source address.

django-axes counts failed sign-ins per account (JITSUIN_LOGIN_LOCKOUT_BY) and refuses every
attempt, the right password included, once JITSUIN_LOGIN_FAILURE_LIMIT is reached. The cool-off
doubles with each further limit's worth of failures in the last day, from JITSUIN_LOGIN_COOLOFF
up to JITSUIN_LOGIN_COOLOFF_MAX.

One address is held on its own, larger limit (JITSUIN_LOGIN_ADDRESS_LIMIT failures an hour,
whatever the accounts): a campus NAT or a proxy that is not a trusted one carries thousands of
people, and five typos among them must not lock everyone out, while one machine spraying
passwords over many accounts is still stopped.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessFailureLog
from django.http import HttpRequest
from django.utils import timezone

from jitsuin.access.network import client_address
from jitsuin.config import current

# Failures older than this no longer make the next cool-off longer.
MEMORY = timedelta(hours=24)
# The window of JITSUIN_LOGIN_ADDRESS_LIMIT.
ADDRESS_WINDOW = timedelta(hours=1)


def client_ip(request: HttpRequest) -> str | None:
    """The address the network policy decides on: X-Forwarded-For only from trusted proxies."""
    address = client_address(request.META, current().trusted_proxies)
    return str(address) if address is not None else None


def _recent_failures(request: HttpRequest) -> int:
    username = get_client_username(request)
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "<unknown>")[:255]
    since = timezone.now() - MEMORY
    return max(
        (
            AccessFailureLog.objects.filter(attempt_time__gte=since, **where).count()
            for where in get_client_parameters(username, ip, agent, request)
        ),
        default=0,
    )


def cool_off_for(failures: int) -> timedelta:
    """The base cool-off, doubled for each further limit's worth of failures, capped."""
    config = current()
    doublings = max(0, failures // config.login_failure_limit - 1)
    if doublings >= 32:
        return config.login_cooloff_max
    return min(config.login_cooloff * 2**doublings, config.login_cooloff_max)


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a lockout of this request's account or address lasts."""
    if request is None:
        return current().login_cooloff
    return cool_off_for(_recent_failures(request))


def minutes(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def address_wait(request: HttpRequest, now: datetime | None = None) -> timedelta | None:
    """How long this request's address is still held (JITSUIN_LOGIN_ADDRESS_LIMIT failures in
    the last hour, any accounts), or None when it may try."""
    limit = current().login_address_limit
    ip = client_ip(request)
    if not limit or ip is None:
        return None
    now = now or timezone.now()
    recent = list(
        AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=now - ADDRESS_WINDOW)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    # Held until the oldest of the newest ``limit`` failures leaves the window.
    return max(recent[-1] + ADDRESS_WINDOW - now, timedelta(seconds=1))
