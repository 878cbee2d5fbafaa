"""Overlap rollover: when the certificate a new one supersedes is revoked.

An OCSP query is information, not consent: anyone can make one (a monitoring probe, a
helpdesk ``openssl ocsp``, the first of many devices). The old certificate is revoked at
the earliest of

- the holder's confirmation that the new one is installed on every device
  (``services.confirm_new_certificate``: at once, not computed here),
- ``Profile.overlap_grace`` (the new certificate's profile, 14 days by default) after the
  new certificate was FIRST seen in use,
- the deadline of a running campaign that retires the old certificate's CA.

If none applies (the new certificate is never used, no campaign), the old one stays valid
until its own expiry. ``revoke_date`` is the rule for one certificate (the portal and the
console show it); ``due`` is the same rule in SQL (the housekeeping sweep).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    Request,
)

# Returns {authority id: the date everything it issued stops working} at ``now``.
DeadlineSource = Callable[[datetime], Mapping[int, datetime]]
_deadline_sources: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> None:
    """An app above lifecycle (campaigns) says when CAs are retired; called from ready()."""
    if source not in _deadline_sources:
        _deadline_sources.append(source)


def retirement_deadlines(now: datetime) -> dict[int, datetime]:
    """The earliest announced retirement date per authority id, from every registered source."""
    merged: dict[int, datetime] = {}
    for source in _deadline_sources:
        for authority_id, deadline in source(now).items():
            if authority_id not in merged or deadline < merged[authority_id]:
                merged[authority_id] = deadline
    return merged


def revoke_date(
    old: Certificate, now: datetime, *, deadlines: Mapping[int, datetime] | None = None
) -> datetime | None:
    """When the sweep revokes ``old`` as superseded; None if it does not (it then expires).

    ``deadlines`` (from ``retirement_deadlines(now)``) saves the lookup when a page shows
    several certificates. A date in the past means "due now".
    """
    if old.status != CertificateStatus.VALID or old.superseded_by_id is None:
        return None
    if deadlines is None:
        deadlines = retirement_deadlines(now)
    candidates = []
    new = old.superseded_by
    if new is not None and new.first_seen_at is not None:
        candidates.append(new.first_seen_at + new.profile.overlap_grace)
    if old.issuer_id in deadlines:
        candidates.append(deadlines[old.issuer_id])
    if not candidates or min(candidates) >= old.not_after:
        return None
    return min(candidates)


def due(now: datetime) -> QuerySet[Certificate]:
    """Valid superseded certificates whose ``revoke_date`` has come and no revocation is open."""
    retired = [pk for pk, deadline in retirement_deadlines(now).items() if deadline <= now]
    grace_ends = ExpressionWrapper(
        F("superseded_by__first_seen_at") + F("superseded_by__profile__overlap_grace"),
        output_field=DateTimeField(),
    )
    revoking = Request.objects.open_revocations().filter(target=OuterRef("pk"))
    return (
        Certificate.objects.live(now=now)
        .filter(superseded_by__isnull=False)
        .annotate(grace_ends=grace_ends)
        .filter(Q(grace_ends__lte=now) | Q(issuer_id__in=retired))
        .exclude(Exists(revoking))
        .order_by("pk")
    )


@dataclass(frozen=True)
class Switch:
    """A switch in progress, as the pages show it: the two certificates and the date."""

    old: Certificate
    new: Certificate
    revoke_at: datetime | None

    @property
    def stops_working_at(self) -> datetime:
        """The revocation date, or the old certificate's expiry when nothing revokes it."""
        return self.revoke_at or self.old.not_after

    def usage_text(self) -> str:
        """ "New certificate last used ..., old last used ..." in local time, or "not seen"."""
        new, old = self.new.last_seen_at, self.old.last_seen_at
        if new is None and old is None:
            return _("Neither certificate has been seen in use yet.")
        if old is None:
            return _("New certificate last used %(new)s; the old one not seen in use yet.") % {
                "new": local_minute(new)
            }
        if new is None:
            return _("New certificate not seen in use yet; old certificate last used %(old)s.") % {
                "old": local_minute(old)
            }
        return _("New certificate last used %(new)s, old certificate last used %(old)s.") % {
            "new": local_minute(new),
            "old": local_minute(old),
        }

    def revoke_text(self, now: datetime) -> str:
        """When the old certificate stops working, in the holder's words."""
        if self.revoke_at is not None and self.revoke_at <= now:
            return _("Your old certificate is being revoked now.")
        if self.revoke_at is not None:
            return _(
                "Your old certificate will stop working on %(date)s, or earlier when you "
                "confirm that the new one is installed on every device."
            ) % {"date": local_minute(self.revoke_at)}
        return ngettext(
            "Your old certificate stays valid until it expires on %(date)s, or until you "
            "confirm that the new one is installed on every device. It is revoked "
            "%(days)s day after the new one is first used.",
            "Your old certificate stays valid until it expires on %(date)s, or until you "
            "confirm that the new one is installed on every device. It is revoked "
            "%(days)s days after the new one is first used.",
            self.new.profile.overlap_grace.days,
        ) % {
            "date": local_minute(self.old.not_after),
            "days": self.new.profile.overlap_grace.days,
        }


def local_minute(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def switches(
    certificates: list[Certificate],
    now: datetime,
    *,
    deadlines: Mapping[int, datetime] | None = None,
) -> dict[int, Switch]:
    """For each valid superseded certificate in ``certificates``, its switch, keyed by both ids.

    ``certificates`` should be one person's (the successor is looked up among them first, so
    a page costs no extra query); ``deadlines`` is looked up only when a switch exists.
    """
    by_id = {c.pk: c for c in certificates}
    found: dict[int, Switch] = {}
    for old in certificates:
        if (
            old.status != CertificateStatus.VALID
            or old.superseded_by_id is None
            or old.not_after <= now
        ):
            continue
        new = by_id.get(old.superseded_by_id) or old.superseded_by
        if new is None:
            continue
        old.superseded_by = new
        if deadlines is None:
            deadlines = retirement_deadlines(now)
        switch = Switch(old=old, new=new, revoke_at=revoke_date(old, now, deadlines=deadlines))
        found[old.pk] = switch
        found[new.pk] = switch
    return found
