"""The one public URL e-mail links use: the one the web server recorded when it started.

``JITSUIN_PUBLIC_URL`` is read by every process from its own environment. The web server's
value is the right one (it is where people reach the portal), so the server records it here
(``serve`` and ``jitsuin.wsgi``) and every e-mail link is built from the recorded value. A
process that sends mail before any server has started falls back to its own setting.
The CLI warns when its environment names another URL (``mismatch``).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from jitsuin.audit.services import SYSTEM, record
from jitsuin.config import current
from jitsuin.notify.models import ServerUrl

# (the process's config, when read, the URL): bulk mail renders thousands of links a minute.
_cache: tuple[object, float, str] | None = None
CACHE_SECONDS = 10.0


def stored() -> str | None:
    row = ServerUrl.objects.filter(pk=1).first()
    return row.url if row else None


def mail_url() -> str:
    """The base URL of links in e-mails (no trailing slash), read at most every few seconds."""
    global _cache
    config, clock = current(), time.monotonic()
    if _cache is not None and _cache[0] is config and clock - _cache[1] < CACHE_SECONDS:
        return _cache[2]
    url = stored() or config.public_url
    _cache = (config, clock, url)
    return url


def record_server_url(url: str | None = None) -> bool:
    """Called by the web server at start: store its public URL; True when it changed."""
    global _cache
    url = (url or current().public_url).rstrip("/")
    _cache = None
    with transaction.atomic():
        before = stored()
        if before == url:
            return False
        ServerUrl.objects.update_or_create(
            pk=1, defaults={"url": url, "recorded_at": timezone.now()}
        )
        record("notify.public_url", actor=SYSTEM, data={"url": url, "before": before})
    return True


def mismatch() -> str | None:
    """A warning when this process's ``JITSUIN_PUBLIC_URL`` is not the one mail uses."""
    own, server = current().public_url, stored()
    if server is None:
        return (
            f"no web server has recorded its public URL yet; e-mail links use this "
            f"process's JITSUIN_PUBLIC_URL ({own}). Start the server first to be sure."
        )
    if own != server:
        return (
            f"JITSUIN_PUBLIC_URL here is {own} but the server's is {server}; "
            f"e-mail links use the server's ({server})."
        )
    return None
