"""Timings of revocation publishing, from the environment through ``jitsuin.config``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from jitsuin.config import current, parse_duration


@dataclass(frozen=True)
class PublishingTimings:
    crl_validity: timedelta  # nextUpdate - thisUpdate of every CRL
    crl_refresh: timedelta  # re-sign a CRL at least this often, revocation or not
    crl_debounce: timedelta  # wait this long after a revocation to gather more into one CRL
    crl_stale_margin: timedelta  # /healthz degrades when a CRL's nextUpdate is closer than this
    ocsp_validity: timedelta
    ocsp_refresh_margin: timedelta  # re-sign stored responses this long before nextUpdate
    ocsp_stale_margin: timedelta
    ocsp_max_age: timedelta  # HTTP max-age of an OCSP answer, never past nextUpdate
    crl_max_age: timedelta  # HTTP max-age of a CRL, never past nextUpdate
    # How long a web process may answer from its memory before re-reading the stored response;
    # another process's revocation reaches it after at most this (this process's at once).
    ocsp_cache_ttl: timedelta


def _duration(name: str, default: str) -> timedelta:
    return parse_duration(current().extra.get(name) or default, name=name)


@cache
def timings() -> PublishingTimings:
    return PublishingTimings(
        crl_validity=_duration("JITSUIN_CRL_VALIDITY", "7d"),
        crl_refresh=_duration("JITSUIN_CRL_REFRESH", "1d"),
        crl_debounce=_duration("JITSUIN_CRL_DEBOUNCE", "10s"),
        crl_stale_margin=_duration("JITSUIN_CRL_STALE_MARGIN", "3d"),
        ocsp_validity=_duration("JITSUIN_OCSP_VALIDITY", "1d"),
        ocsp_refresh_margin=_duration("JITSUIN_OCSP_REFRESH_MARGIN", "12h"),
        ocsp_stale_margin=_duration("JITSUIN_OCSP_STALE_MARGIN", "4h"),
        ocsp_max_age=_duration("JITSUIN_OCSP_MAX_AGE", "1h"),
        crl_max_age=_duration("JITSUIN_CRL_MAX_AGE", "15m"),
        ocsp_cache_ttl=_duration("JITSUIN_OCSP_CACHE_TTL", "2s"),
    )
