"""Sign-in throttling: how django-axes sees jitsuin (the client address, a growing cool-off).

django-axes counts failed sign-ins per account and per source address (JITSUIN_LOGIN_LOCKOUT_BY)
and refuses every attempt, the right password included, once JITSUIN_LOGIN_FAILURE_LIMIT is
reached. The cool-off doubles with each further limit's worth of failures in the last day, from
JITSUIN_LOGIN_COOLOFF up to JITSUIN_LOGIN_COOLOFF_MAX.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.helpers import get_client_parameters, get_client_username
from axes.models import AccessFailureLog
from django.http import HttpRequest
from django.utils import timezone

from jitsuin.access.network import client_address
from jitsuin.config import current

# Failures older than this no longer make the next cool-off longer.
MEMORY = timedelta(hours=24)


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
