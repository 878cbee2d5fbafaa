"""Whether a certificate still works as far as its CAs go: one place decides.

A CA's ``revoked_at`` is set now or in the future (a campaign's deadline, ``jitsuin ca revoke
--at``). Once it has passed, every certificate below that CA stops working whatever its own
status; before then the certificate works, but only until that moment. The portal's cards, the
console's person page, the issue policy and the check verdict all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import pgettext

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import chain_of

# Root -> intermediate -> leaf: the SQL form looks this many CAs up (the issuer and two above).
_DEPTH = 3


@dataclass(frozen=True)
class IssuerRevocation:
    """The earliest revocation, done or scheduled, of a certificate's issuer or a CA above it."""

    authority: Authority
    at: datetime
    reason: str

    def effective(self, now: datetime) -> bool:
        return self.at <= now


def issuer_revocation(authority: Authority | None) -> IssuerRevocation | None:
    """When ``authority`` or a CA above it is (or will be) revoked; None if never."""
    if authority is None:
        return None
    scheduled = [ca for ca in chain_of(authority) if ca.revoked_at is not None]
    if not scheduled:
        return None
    first = min(scheduled, key=lambda ca: ca.revoked_at)  # type: ignore[arg-type, return-value]
    assert first.revoked_at is not None
    return IssuerRevocation(first, first.revoked_at, first.revocation_reason)


def issuer_revoked_q(now: datetime, field: str = "issuer") -> Q:
    """The SQL form of ``issuer_revocation(...).effective(now)`` for a certificate queryset."""
    condition = Q()
    path = field
    for _level in range(_DEPTH):
        condition |= Q(**{f"{path}__revoked_at__lte": now})
        path = f"{path}__parent"
    return condition


def when_text(moment: datetime) -> str:
    """``12月3日（木）19:51`` / ``Thu 3 Dec 19:51``: local time, in the active language."""
    fmt = pgettext("a moment with weekday, e.g. a deadline", "D j M H:i")
    return dateformat.format(timezone.localtime(moment), fmt)
