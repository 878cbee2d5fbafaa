"""The signer's CRLs: complete lists of what its RAs revoked (and revoked child CAs), signed
when asked for and the newest is outdated: a revocation after it, or half its life (or half
``JITSUIN_CRL_REFRESH``) gone.

Kept in the signer's ``PublishedCrl`` rows, as the embedded CA keeps its own; the RA pulls
them (``GET /v1/crl/<issuer fingerprint>``).
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from django.db import transaction

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, PublishedCrl
from jitsuin.authorities.publishing import nextupdate
from jitsuin.authorities.publishing.crl import reason_flag
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import loaded_signer
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import RevokedEntry, build_crl
from jitsuin.pki.names import Serial
from jitsuin.signer.models import OrderKind, SignerOrder


def _entries(authority: Authority, now: datetime) -> list[RevokedEntry]:
    revoked = SignerOrder.objects.filter(
        issuer=authority, kind=OrderKind.REVOKE, revoked_at__lte=now
    ).values_list("serial", "revoked_at", "reason")
    children = Authority.objects.filter(parent=authority, revoked_at__lte=now).values_list(
        "serial", "revoked_at", "revocation_reason"
    )
    return [
        RevokedEntry(Serial.parse(serial).value, at, reason_flag(reason))
        for serial, at, reason in [*revoked, *children]
    ]


def _outdated(authority: Authority, latest: PublishedCrl | None, now: datetime) -> bool:
    if latest is None:
        return True
    # Half its life, or half the refresh period: an RA that pulls (more often than that)
    # always holds a copy its own refresh finds fresh.
    age_limit = min((latest.next_update - latest.this_update) / 2, timings().crl_refresh / 2)
    if now - latest.this_update >= age_limit:
        return True
    return (
        SignerOrder.objects.filter(
            issuer=authority, kind=OrderKind.REVOKE, created_at__gte=latest.this_update
        ).exists()
        or Authority.objects.filter(
            parent=authority, revoked_at__gte=latest.this_update, revoked_at__lte=now
        ).exists()
    )


def current_crl(authority: Authority, now: datetime) -> PublishedCrl:
    """The newest CRL of ``authority``, signed now if the stored one is outdated."""
    latest = PublishedCrl.objects.latest_for(authority)
    if not _outdated(authority, latest, now):
        assert latest is not None
        return latest
    with transaction.atomic():
        authority = Authority.objects.select_for_update().get(pk=authority.pk)
        latest = PublishedCrl.objects.latest_for(authority)
        if not _outdated(authority, latest, now):
            assert latest is not None
            return latest  # another thread signed it while this one waited
        number = authority.crl_number + 1
        entries = _entries(authority, now)
        crl = build_crl(
            loaded_signer(authority),
            entries,
            crl_number=number,
            clock=FixedClock(now),
            validity=nextupdate.next_update(authority, now) - now,
        )
        authority.crl_number = number
        authority.save(update_fields=["crl_number"])
        row = PublishedCrl.objects.create(
            authority=authority,
            number=number,
            der=crl.public_bytes(serialization.Encoding.DER),
            this_update=crl.last_update_utc,
            next_update=crl.next_update_utc or now,
            entries=len(entries),
        )
        record(
            "crl.published", obj=authority, at=now, data={"number": number, "entries": len(entries)}
        )
    return row
