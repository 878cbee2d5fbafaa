"""How long a CRL may be kept: its nextUpdate, and how close to it it is re-signed.

Normally a CRL is valid for ``crl_validity`` (7 days). While a child CA's revocation is
announced (``Authority.revocation_scheduled_at``, set by a campaign through
``revocations.schedule_revocation``) or scheduled (a future ``revoked_at``), the parent's CRL
expires 15 minutes after that moment: relying parties that honour nextUpdate then fetch the
CRL that lists the revocation, instead of keeping the old one for up to a week.

Why 15 minutes after, not at the moment: the CRL that lists the revocation is signed only
after it (the periodic jobs revoke and publish within minutes), and a relying party holding
an expired CRL refuses every certificate of that CA. FreeRADIUS with ``check_all_crl`` refused
everyone under the root, new intermediate included, from the deadline until the agent loaded
the new root CRL (tests/interop/test_campaign_agent_radius.py). With the overlap the old CRL
is still valid while the new one goes out; agents load it as soon as it changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Min, Q

from jitsuin.authorities.models import Authority, PublishedCrl
from jitsuin.authorities.publishing.settings import timings

# An announced revocation whose moment has passed but which is not done yet (the campaign's
# periodic job revokes within minutes, or the confirmation is late): keep CRLs short-lived
# until the CRL that lists it is out. The same overlap follows the announced moment.
OVERDUE_VALIDITY = timedelta(minutes=15)
# An offline root's CRL is signed at ceremonies: /healthz and the staff alert call it stale
# this long before its nextUpdate (authorities/offline.py).
OFFLINE_CRL_WARNING = timedelta(days=30)


def announced_revocation(authority: Authority, now: datetime) -> datetime | None:
    """The earliest announced or scheduled revocation of a child of ``authority`` not yet in
    effect at ``now`` (it may be overdue: announced for a moment that has passed)."""
    not_revoked = Q(revoked_at__isnull=True) | Q(revoked_at__gt=now)
    children = Authority.objects.filter(not_revoked, parent=authority)
    times = children.aggregate(
        announced=Min("revocation_scheduled_at"), scheduled=Min("revoked_at")
    )
    found = [t for t in times.values() if t is not None]
    return min(found) if found else None


def next_update(authority: Authority, now: datetime) -> datetime:
    """The nextUpdate of a CRL of ``authority`` signed at ``now``."""
    normal = now + timings().crl_validity
    announced = announced_revocation(authority, now)
    if announced is None:
        return normal
    cap = max(announced, now) + OVERDUE_VALIDITY
    return min(normal, cap)


def refresh_margin(authority: Authority, row: PublishedCrl, now: datetime) -> timedelta:
    """How close to its nextUpdate a CRL is re-signed (and /healthz calls it stale).

    The configured margin; while a child's revocation is announced, at most half the CRL's
    lifetime, so that a CRL capped at a deadline is not re-signed on every tick (nor reported
    stale) during the campaign's last days.
    """
    if authority.kept_offline:
        # Signed only at ceremonies: warn a month ahead, time enough to hold one.
        return OFFLINE_CRL_WARNING
    margin = timings().crl_stale_margin
    if announced_revocation(authority, now) is None:
        return margin
    return min(margin, (row.next_update - row.this_update) / 2)
