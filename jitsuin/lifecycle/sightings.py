"""Usage sightings: an OCSP query for a certificate means someone asked about it; an accepted
login a relying party reports (``seen_in_use``, from jitsuin.sightings) means it was used.

Information only: anyone can ask (a monitoring probe, a helpdesk ``openssl ocsp``, one of
many devices), so a sighting never revokes anything by itself; lifecycle.overlap starts a
grace period from the first one. The hot path only notes (issuer, serial, time) in memory;
``flush`` writes the first and last sighting per certificate in a few UPDATEs, from a
background thread after ``FLUSH_EVERY`` sightings or ``FLUSH_INTERVAL`` seconds (never on the
request's own time), and from the periodic job. A crash loses at most one buffer of
sightings, which is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import Serial

logger = logging.getLogger("jitsuin.revocation")

FLUSH_EVERY = 2000
FLUSH_INTERVAL = 30.0

_lock = threading.Lock()
# (issuer id, serial) -> (first, last) sighting since the previous flush.
_buffer: dict[tuple[int, str], tuple[datetime, datetime]] = {}
_last_flush = time.monotonic()
_flusher: threading.Thread | None = None


def note(issuer_id: int, serial: str, at: datetime) -> None:
    """Remember that (issuer, serial as lower-case hex) was asked about at ``at``."""
    global _flusher
    with _lock:
        key = (issuer_id, serial)
        first, last = _buffer.get(key, (at, at))
        _buffer[key] = (min(first, at), max(last, at))
        due = len(_buffer) >= FLUSH_EVERY or time.monotonic() - _last_flush > FLUSH_INTERVAL
        if not due or (_flusher is not None and _flusher.is_alive()):
            return
        _flusher = threading.Thread(target=_flush_in_background, daemon=True)
    _flusher.start()


def _flush_in_background() -> None:
    try:
        flush()
    finally:
        connection.close()  # this thread's own connection


def pending() -> int:
    with _lock:
        return len(_buffer)


def flush() -> int:
    """Write the buffered sightings; returns how many certificates were touched."""
    global _last_flush
    with _lock:
        items = dict(_buffer)
        _buffer.clear()
        _last_flush = time.monotonic()
    if not items:
        return 0
    # One UPDATE per (issuer, minute) and column: the times are coarse on purpose.
    firsts: dict[tuple[int, datetime], list[str]] = defaultdict(list)
    lasts: dict[tuple[int, datetime], list[str]] = defaultdict(list)
    for (issuer_id, serial), (first, last) in items.items():
        firsts[(issuer_id, first.replace(second=0, microsecond=0))].append(serial)
        lasts[(issuer_id, last.replace(second=0, microsecond=0))].append(serial)
    touched = 0
    try:
        for (issuer_id, at), serials in firsts.items():
            _certificates(issuer_id, serials).filter(
                Q(first_seen_at__gt=at) | Q(first_seen_at__isnull=True)
            ).update(first_seen_at=at)
        for (issuer_id, at), serials in lasts.items():
            touched += (
                _certificates(issuer_id, serials)
                .filter(Q(last_seen_at__lt=at) | Q(last_seen_at__isnull=True))
                .update(last_seen_at=at)
            )
    except Exception:  # a sighting is never worth failing an OCSP answer
        logger.exception("could not record OCSP sightings")
    return touched


def seen_in_use(certificate_id: int, at: datetime) -> None:
    """A relying party reports an accepted login with the certificate at ``at``.

    Stronger than an OCSP query (the caller holds a ``sightings:write`` token and saw the key
    used), it moves the same two columns, so campaign stragglers and the overlap grace (from
    the new certificate's first use) count it like any sighting. Two UPDATEs, no read.
    """
    mine = Certificate.objects.filter(pk=certificate_id)
    mine.filter(Q(first_seen_at__gt=at) | Q(first_seen_at__isnull=True)).update(first_seen_at=at)
    mine.filter(Q(last_seen_at__lt=at) | Q(last_seen_at__isnull=True)).update(last_seen_at=at)


def _certificates(issuer_id: int, serials: list[str]) -> QuerySet[Certificate]:
    stored = {Serial.parse(serial).db for serial in serials}
    return Certificate.objects.filter(issuer_id=issuer_id, serial__in=stored)
