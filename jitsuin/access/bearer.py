"""``Authorization: Bearer jt_...`` for every machine interface (the JSON API, SCIM).

:func:`check_bearer` makes the checks, in order: a usable token (else 401 ``unauthenticated``),
the token's rate (else 429 ``rate_limited`` with Retry-After), the scope (else 403
``insufficient_scope``). Each front end turns :class:`ApiAccessError` into its own error body
(the API's ``{code, message}``, SCIM's Error message); :func:`token_actor` names the token in the
audit log.

The rate is a fixed one-minute window counted in Django's cache, per token
(JITSUIN_API_RATE requests a minute). With several web processes the cache must be shared for
the limit to be exact; with the default per-process cache each process counts on its own.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jitsuin.access.models import ApiToken
from jitsuin.access.tokens import authenticate, has_scope
from jitsuin.audit.actors import Actor
from jitsuin.config import current

WINDOW_SECONDS = 60


class ApiAccessError(Exception):
    """A refused call: HTTP status, a stable code, a translatable message."""

    def __init__(
        self, status: int, code: str, message: object, *, retry_after: int | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


UNAUTHENTICATED_MESSAGE = _(
    "This call needs a valid API token: send it as Authorization: Bearer TOKEN."
)


def _count_call(token: ApiToken, now: float) -> int | None:
    """Count one call in the token's current window; the seconds to wait when over the rate."""
    window = int(now // WINDOW_SECONDS)
    key = f"jitsuin:api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        calls = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        calls = 1
    if calls <= current().api_rate:
        return None
    return max(1, (window + 1) * WINDOW_SECONDS - int(now))


def bearer_from_header(request: HttpRequest) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` (scheme case-insensitive), else None."""
    scheme, _space, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def check_bearer(raw: str | None, scope: str) -> ApiToken:
    """The token ``raw`` names, counted against its rate and holding ``scope``; else refused."""
    found = authenticate(raw) if raw else None
    if found is None:
        raise ApiAccessError(401, "unauthenticated", UNAUTHENTICATED_MESSAGE)
    wait = _count_call(found, time.time())
    if wait is not None:
        raise ApiAccessError(
            429,
            "rate_limited",
            _("Too many calls with this API token; try again after the Retry-After seconds."),
            retry_after=wait,
        )
    if not has_scope(found, scope):
        raise ApiAccessError(
            403,
            "insufficient_scope",
            _("This API token does not have the scope this call needs."),
        )
    return found


def token_actor(request: HttpRequest) -> Actor:
    """The audit actor of an authenticated call: ``token:<name>``."""
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)
    return Actor.token(token.name)
