"""Staleness of what relying parties fetch: /healthz checks and a staff alert.

An expired CRL takes Wi-Fi and VPN down (pivpn/pivpn#553, Infisical/infisical#5091), so a CRL
or stored OCSP response close to its nextUpdate degrades /healthz and alerts the helpdesk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority
from jitsuin.config import current
from jitsuin.notify import services as notify
from jitsuin.revocation.models import OcspResponse, PublishedCrl
from jitsuin.revocation.settings import timings

logger = logging.getLogger("jitsuin.revocation")
STALE_EVENT = "revocation_data_stale"


@dataclass(frozen=True)
class Staleness:
    what: str  # "crl:<slug>" or "ocsp"
    problem: str
    key: str  # stable while the same stale object is published


def find_stale(now: datetime | None = None) -> list[Staleness]:
    now = now or timezone.now()
    t = timings()
    found: list[Staleness] = []
    for authority in Authority.objects.all():
        latest = PublishedCrl.objects.latest_for(authority)
        if latest is None:
            found.append(
                Staleness(f"crl:{authority.slug}", "no CRL published", f"{authority.slug}:none")
            )
            continue
        remaining = latest.next_update - now
        if remaining <= t.crl_stale_margin:
            problem = "expired" if remaining.total_seconds() <= 0 else "close to nextUpdate"
            found.append(
                Staleness(
                    f"crl:{authority.slug}",
                    f"{problem} ({latest.next_update.isoformat()})",
                    f"{authority.slug}:{latest.number}",
                )
            )
    stale_ocsp = OcspResponse.objects.filter(next_update__lte=now + t.ocsp_stale_margin).count()
    if stale_ocsp:
        found.append(
            Staleness(
                "ocsp",
                f"{stale_ocsp} stored responses close to or past nextUpdate",
                f"ocsp:{now:%Y-%m-%d}",
            )
        )
    return found


def health_check() -> tuple[str, Any]:
    stale = find_stale()
    if not stale:
        return "ok", "CRLs and OCSP responses are fresh"
    return "degraded", {s.what: s.problem for s in stale}


def alert_staff(now: datetime | None = None) -> int:
    """Tell the helpdesk once per stale object; returns how many new alerts were raised."""
    now = now or timezone.now()
    raised = 0
    for item in find_stale(now):
        key = f"revocation-stale:{item.key}"
        with transaction.atomic():
            if AuditEvent.objects.filter(action="revocation.stale", data__key=key).exists():
                continue
            record(
                "revocation.stale",
                data={"key": key, "what": item.what, "problem": item.problem},
                at=now,
            )
            if STALE_EVENT in notify.EVENTS:
                notify.enqueue(
                    STALE_EVENT,
                    to=current().helpdesk_email,
                    key=key,
                    context={"what": item.what, "problem": item.problem},
                    lang="ja",
                    now=now,
                )
            logger.warning("revocation data stale: %s %s", item.what, item.problem)
            raised += 1
    return raised
