"""Revoking an intermediate CA: the row, the audit event and what publishing must re-sign.

Above ``authorities.services`` (the hierarchy) and ``authorities.publishing`` (which signs
with the hierarchy's keys), so that the one business fact reads top to bottom.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, AuthorityStatus, Role
from jitsuin.authorities.publishing import changes as publishing
from jitsuin.authorities.publishing.crl import schedule_publication
from jitsuin.authorities.services import AuthorityError
from jitsuin.pki.clock import Clock, SystemClock
from jitsuin.pki.crl import parse_reason


def revoke_authority(
    name: str,
    *,
    reason: str = "superseded",
    at: datetime | None = None,
    actor: str = "system",
    clock: Clock | None = None,
) -> Authority:
    """Revoke intermediate ``name`` now, or schedule it for ``at``.

    From ``at`` on, the parent's CRL lists it and OCSP answers its certificates as revoked.
    The issuing CA can be revoked only for keyCompromise: activate its successor first.
    """
    clock = clock or SystemClock()
    now = clock.now()
    at = at or now
    if at.tzinfo is None:
        raise AuthorityError("the revocation time needs a time zone (e.g. 2026-01-17T00:00+09:00)")
    try:
        parse_reason(reason)
    except ValueError as exc:
        raise AuthorityError(str(exc)) from exc
    with transaction.atomic():
        authority = Authority.objects.select_for_update().filter(name=name).first()
        if authority is None:
            raise AuthorityError(f"no authority named {name!r}")
        if authority.role == Role.ROOT:
            raise AuthorityError(
                f"{name} is a root CA: a root is not revoked but removed from relying parties' "
                "trust stores"
            )
        if authority.revoked_at is not None and authority.revoked_at <= now:
            raise AuthorityError(
                f"{name} was already revoked on {authority.revoked_at:%Y-%m-%d %H:%M}"
            )
        if authority.status == AuthorityStatus.ACTIVE and reason != "keyCompromise":
            raise AuthorityError(
                f"{name} is the issuing CA; activate its successor first "
                "(only keyCompromise revokes the issuing CA at once)"
            )
        authority.revoked_at = at
        authority.revocation_reason = reason
        fields = ["revoked_at", "revocation_reason"]
        if at <= now:
            authority.status = AuthorityStatus.REVOKED
            fields.append("status")
        authority.save(update_fields=fields)
        action = "authority.revoked" if at <= now else "authority.revocation_scheduled"
        record(
            action,
            actor=actor,
            obj=authority,
            data={"name": name, "reason": reason, "at": at.isoformat()},
        )
        publishing.authority_revoked(authority)
    return authority


def schedule_revocation(
    authority: Authority, at: datetime | None, *, actor: str, now: datetime | None = None
) -> Authority:
    """Announce (or, with None, withdraw) the date ``authority`` will be revoked.

    Not the revocation itself (``revoke_authority`` is, once someone decided it): the fact
    that relying parties must fetch the parent's CRL again then. While it is in the future the
    parent's CRLs carry a nextUpdate no later (``publishing.crl.next_update_cap``), and the
    CA cannot become the issuing CA again. The parent's CRL is re-signed at once, so the new
    cap (or its removal) is published. A no-op when nothing changes.
    """
    now = now or timezone.now()
    if at is not None and at.tzinfo is None:
        raise AuthorityError("the revocation time needs a time zone")
    with transaction.atomic():
        authority = Authority.objects.select_for_update().get(pk=authority.pk)
        if authority.revocation_scheduled_at == at:
            return authority
        previous = authority.revocation_scheduled_at
        authority.revocation_scheduled_at = at
        authority.save(update_fields=["revocation_scheduled_at"])
        record(
            "authority.revocation_announced" if at else "authority.revocation_withdrawn",
            actor=actor,
            obj=authority,
            data={
                "name": authority.name,
                "at": at.isoformat() if at else None,
                "previous": previous.isoformat() if previous else None,
            },
            at=now,
        )
        if authority.parent_id is not None:
            schedule_publication(authority.parent_id, now=now, due_at=now)
    return authority
