"""Record a relying party's sighting; find the certificate it names; the latest Wi-Fi use.

Not audited one by one (a login each: it would flood the audit log, as reads would); the row
keeps the token's name. Times are the server's: FreeRADIUS sends none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of
from jitsuin.lifecycle import sightings as usage
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import Serial
from jitsuin.pki.oneline import oneline
from jitsuin.sightings.models import Sighting, SightingResult


class AmbiguousSerial(Exception):
    """Two CAs used the serial and the issuer given names neither (or both)."""


def issuer_matches(authority: Authority, issuer: str) -> bool:
    """``issuer`` names ``authority``: as FreeRADIUS writes it (``/C=JP/.../CN=...``), as RFC
    4514 (``CN=...,O=...,C=JP``), or by the CA's name or slug."""
    if issuer in (authority.name, authority.slug):
        return True
    subject = certificate_of(authority).subject
    if issuer.startswith("/"):
        return issuer == oneline(subject)
    return issuer.casefold() == subject.rfc4514_string().casefold()


def find_certificate(serial: Serial, issuer: str = "") -> Certificate | None:
    """The certificate with ``serial`` whose CA ``issuer`` names (any, when empty).

    None when there is none; AmbiguousSerial when two CAs used the serial and ``issuer`` does
    not tell them apart.
    """
    candidates = list(Certificate.objects.filter(serial=serial.db).select_related("issuer")[:10])
    if issuer:
        candidates = [c for c in candidates if issuer_matches(c.issuer, issuer)]
    if len(candidates) > 1:
        raise AmbiguousSerial(serial.db)
    return candidates[0] if candidates else None


def record_sighting(
    certificate: Certificate,
    *,
    token_name: str,
    nas_identifier: str,
    nas_ip: str,
    result: str,
    now: datetime,
) -> Sighting:
    """Count one login of ``certificate`` at this NAS, reported with ``token_name``; an accepted
    one also marks the certificate as seen in use (stragglers, the overlap grace)."""
    accepted = result == SightingResult.ACCEPT
    if accepted:
        usage.seen_in_use(certificate.pk, now)
    key = {
        "certificate": certificate,
        "token_name": token_name,
        "nas_identifier": nas_identifier,
        "nas_ip": nas_ip,
    }
    changes: dict[str, object] = {"last_result": result, "last_seen_at": now}
    if accepted:
        changes.update(accept_count=F("accept_count") + 1, last_accepted_at=now)
    else:
        changes.update(reject_count=F("reject_count") + 1)
    for _attempt in range(2):
        if Sighting.objects.filter(**key).update(**changes):
            return Sighting.objects.get(**key)
        try:
            with transaction.atomic():
                return Sighting.objects.create(
                    **key,
                    last_result=result,
                    first_seen_at=now,
                    last_seen_at=now,
                    last_accepted_at=now if accepted else None,
                    accept_count=1 if accepted else 0,
                    reject_count=0 if accepted else 1,
                )
        except IntegrityError:  # another call made the row first: count on it
            continue
    raise RuntimeError("could not record the sighting")  # pragma: no cover


@dataclass(frozen=True)
class WifiUse:
    """The latest accepted login of a certificate at a relying party: when, and where."""

    at: datetime
    nas: str


def last_wifi_use(certificates: Iterable[Certificate]) -> dict[int, WifiUse]:
    """{certificate id: its latest accepted login}, in one query whatever the number."""
    ids = [c.pk for c in certificates]
    if not ids:
        return {}
    latest = (
        Sighting.objects.filter(
            certificate_id=OuterRef("certificate_id"), last_accepted_at__isnull=False
        )
        .order_by("-last_accepted_at", "-pk")
        .values("pk")[:1]
    )
    rows = Sighting.objects.filter(certificate_id__in=ids, pk=Subquery(latest))
    return {
        row.certificate_id: WifiUse(row.last_accepted_at, row.nas)
        for row in rows
        if row.last_accepted_at is not None
    }
