"""Dual control for the revocation: two different CA admins confirm it, one after the other.

The first confirmation is kept on the campaign (who, when, why) and the campaign stays
awaiting; the second, by someone else, moves it to confirmed. Both go through the state
table (``first_confirm`` and ``confirm`` in :mod:`jitsuin.campaigns.transitions`), so each
is audited. Postponing, cancelling or preparing a new summary clears the first one
(:data:`CLEARED` is what those steps set).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.campaigns import transitions
from jitsuin.campaigns.models import Campaign
from jitsuin.lifecycle.errors import NotAllowed

# The changes that void a pending first confirmation.
CLEARED: dict[str, Any] = {
    "first_confirmed_by": "",
    "first_confirmed_at": None,
    "first_confirmation_reason": "",
}


class SameAdmin(NotAllowed):
    code = "same_admin"


def pending(campaign: Campaign) -> dict[str, str] | None:
    """The first confirmation waiting for a second CA admin, as the audit event stores it."""
    if not campaign.first_confirmed_by or campaign.first_confirmed_at is None:
        return None
    return {
        "by": campaign.first_confirmed_by,
        "at": campaign.first_confirmed_at.isoformat(),
        "reason": campaign.first_confirmation_reason,
    }


def take(
    row: Campaign, *, actor: str, reason: str, now: datetime, data: dict[str, Any]
) -> Campaign:
    """One CA admin's confirmation on the locked ``row`` (inside the caller's transaction).

    The first is recorded and the campaign stays awaiting; a second by a different actor
    confirms. The same actor twice is refused (:class:`SameAdmin`), changing nothing.
    """
    first = pending(row)
    if first is None:
        return transitions.transition(
            row,
            "first_confirm",
            actor=actor,
            reason=reason,
            now=now,
            locked=True,
            data=data,
            first_confirmed_by=actor,
            first_confirmed_at=now,
            first_confirmation_reason=reason,
        )
    if first["by"] == actor:
        raise SameAdmin(
            _(
                "You already confirmed this revocation. A different CA administrator must "
                "confirm it second (dual control)."
            )
        )
    return transitions.transition(
        row,
        "confirm",
        actor=actor,
        reason=reason,
        now=now,
        locked=True,
        data={**data, "first": first, "second": {"by": actor, "at": now.isoformat()}},
        confirmed_at=now,
        confirmed_by=actor,
    )


def withdraw_confirmation(
    campaign: Campaign, *, actor: str, reason: str = "", now: datetime | None = None
) -> Campaign:
    """Take back the first confirmation still waiting for its second CA admin (any CA admin
    may; the console and the audit event say who)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = transitions.lock(campaign, "withdraw_confirmation")
        return _withdraw(row, actor=actor, reason=reason, now=now)


def _withdraw(row: Campaign, *, actor: str, reason: str, now: datetime) -> Campaign:
    first = pending(row)
    if first is None:
        raise NotAllowed(_("No confirmation is waiting for a second CA administrator."))
    return transitions.transition(
        row,
        "withdraw_confirmation",
        actor=actor,
        reason=reason,
        now=now,
        locked=True,
        data={"first": first},
        **CLEARED,
    )
