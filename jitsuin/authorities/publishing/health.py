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
from django.db.models import Count, Min
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, OcspResponse, PublishedCrl
from jitsuin.authorities.publishing.nextupdate import refresh_margin
from jitsuin.authorities.publishing.settings import timings
from jitsuin.config import current
from jitsuin.notify import services as notify
from jitsuin.notify.public_url import mail_url
from jitsuin.notify.services import helpdesk_language

logger = logging.getLogger("jitsuin.revocation")
STALE_EVENT = "revocation_data_stale"


@dataclass(frozen=True)
class Staleness:
    what: str  # "crl:<slug>" or "ocsp"
    problem: str
    key: str  # stable while the same stale object is published
    authority: str = ""  # the CA's name, for a CRL
    next_update: datetime | None = None  # of the CRL, or of the oldest stale OCSP response
    expired: bool = False
    count: int = 0  # stale OCSP responses


def find_stale(now: datetime | None = None) -> list[Staleness]:
    now = now or timezone.now()
    t = timings()
    found: list[Staleness] = []
    for authority in Authority.objects.all():
        latest = PublishedCrl.objects.latest_times_for(authority)
        if latest is None:
            found.append(
                Staleness(
                    f"crl:{authority.slug}",
                    "no CRL published",
                    f"{authority.slug}:none",
                    authority=authority.name,
                )
            )
            continue
        remaining = latest.next_update - now
        if remaining <= refresh_margin(authority, latest, now):
            expired = remaining.total_seconds() <= 0
            problem = "expired" if expired else "close to nextUpdate"
            found.append(
                Staleness(
                    f"crl:{authority.slug}",
                    f"{problem} ({latest.next_update.isoformat()})",
                    f"{authority.slug}:{latest.number}",
                    authority=authority.name,
                    next_update=latest.next_update,
                    expired=expired,
                )
            )
    stale = OcspResponse.objects.filter(next_update__lte=now + t.ocsp_stale_margin).aggregate(
        count=Count("pk"), oldest=Min("next_update")
    )
    if stale["count"]:
        found.append(
            Staleness(
                "ocsp",
                f"{stale['count']} stored responses close to or past nextUpdate",
                "ocsp",
                next_update=stale["oldest"],
                expired=stale["oldest"] <= now,
                count=stale["count"],
            )
        )
    return found


def health_check() -> tuple[str, Any]:
    stale = find_stale()
    if not stale:
        return "ok", "CRLs and OCSP responses are fresh"
    return "degraded", {s.what: s.problem for s in stale}


def _mail_context(item: Staleness) -> dict[str, Any]:
    return {
        "what": item.what,
        "problem": item.problem,
        "kind": item.what.split(":", 1)[0],
        "authority": item.authority,
        "slug": item.what.split(":", 1)[1] if ":" in item.what else "",
        "next_update": item.next_update,
        "expired": item.expired,
        "count": item.count,
        "healthz_url": mail_url() + "/healthz",
    }


def alert_staff(now: datetime | None = None) -> int:
    """Tell the helpdesk about each stale object, once a day while it stays stale.

    One audit event and one ``revocation_data_stale`` e-mail (to ``helpdesk_email``, in the
    helpdesk's language) per stale CRL or per day of stale OCSP responses; returns how many
    new alerts were raised.
    """
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    raised = 0
    for item in find_stale(now):
        key = f"revocation-stale:{item.key}:{day}"
        with transaction.atomic():
            if AuditEvent.objects.filter(action="revocation.stale", data__key=key).exists():
                continue
            record(
                "revocation.stale",
                data={"key": key, "what": item.what, "problem": item.problem},
                at=now,
            )
            notify.enqueue(
                STALE_EVENT,
                to=current().helpdesk_email,
                key=key,
                context=_mail_context(item),
                lang=helpdesk_language(),
                now=now,
            )
            logger.warning("revocation data stale: %s %s", item.what, item.problem)
            raised += 1
    return raised
