"""The campaign state machine as a plain table, and its one door.

draft --start--> started --summary--> awaiting --confirm--> confirmed --complete--> completed;
postpone moves the deadline and goes back to started; cancel ends any open campaign.
Dual control: a first CA admin's confirmation (``first_confirm``) keeps the campaign awaiting
until a different CA admin confirms; ``withdraw_confirmation`` takes the first one back.

Every state change of a :class:`Campaign` goes through :func:`transition`: it locks the row,
checks this table, saves the change and writes the audit event, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.audit.services import record
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState
from jitsuin.lifecycle.errors import InvalidState

S = CampaignState
RUNNING = frozenset(RUNNING_STATES)


@dataclass(frozen=True)
class Step:
    """A named change: the states it starts from, the state it leads to, its audit event."""

    sources: frozenset[str]
    to: str
    event: str
    # Said when the campaign is in a state the step does not start from.
    refused: Promise


# step -> (from states, to state). Postpone, a second summary and the first of two
# confirmations (or its withdrawal) keep the state they leave.
TABLE: dict[str, Step] = {
    "start": Step(
        frozenset({S.DRAFT}),
        S.STARTED,
        "campaign.started",
        _("The campaign has already been started."),
    ),
    "summary": Step(
        frozenset({S.STARTED, S.AWAITING_CONFIRMATION}),
        S.AWAITING_CONFIRMATION,
        "campaign.summary",
        _("Only a running campaign has a final summary."),
    ),
    "first_confirm": Step(
        frozenset({S.AWAITING_CONFIRMATION}),
        S.AWAITING_CONFIRMATION,
        "campaign.confirmation_requested",
        _("There is no final summary waiting for confirmation."),
    ),
    "withdraw_confirmation": Step(
        frozenset({S.AWAITING_CONFIRMATION}),
        S.AWAITING_CONFIRMATION,
        "campaign.confirmation_withdrawn",
        _("There is no final summary waiting for confirmation."),
    ),
    "confirm": Step(
        frozenset({S.AWAITING_CONFIRMATION}),
        S.CONFIRMED,
        "campaign.confirmed",
        _("There is no final summary waiting for confirmation."),
    ),
    "postpone": Step(
        RUNNING,
        S.STARTED,
        "campaign.postponed",
        _("Only a running campaign can be postponed."),
    ),
    "complete": Step(
        frozenset({S.CONFIRMED}),
        S.COMPLETED,
        "campaign.completed",
        _("The revocation has not been confirmed."),
    ),
    "cancel": Step(
        frozenset({S.DRAFT, *RUNNING}),
        S.CANCELLED,
        "campaign.cancelled",
        _("The campaign is already over."),
    ),
}

# The same table read as from-state -> the states it may move to.
MOVES: dict[str, frozenset[str]] = {
    state: frozenset(step.to for step in TABLE.values() if state in step.sources)
    for state in S.values
}
TERMINAL = frozenset(state for state, targets in MOVES.items() if not targets)


def allowed(step: str, from_state: str) -> bool:
    return from_state in TABLE[step].sources


def check(campaign: Campaign, step: str) -> None:
    """Refuse early (before slow work outside the lock) when ``step`` cannot start here."""
    if not allowed(step, campaign.state):
        raise InvalidState(TABLE[step].refused, code="invalid_transition")


def lock(campaign: Campaign | int, step: str) -> Campaign:
    """The campaign's row, locked for the caller's transaction, checked against ``step``."""
    pk = campaign if isinstance(campaign, int) else campaign.pk
    row = Campaign.objects.select_for_update().select_related("new_authority").get(pk=pk)
    check(row, step)
    return row


def transition(
    campaign: Campaign | int,
    step: str,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
    locked: bool = False,
    **changes: Any,
) -> Campaign:
    """Take ``step`` (and set ``changes`` on the campaign) if the table allows it.

    Must run inside ``transaction.atomic()``; returns the locked, updated row.
    ``locked=True`` says the caller took :func:`lock` in this same transaction already.
    Raises :class:`InvalidState` with the step's translatable message otherwise.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside the caller's transaction")
    now = now or timezone.now()
    row = campaign if locked and isinstance(campaign, Campaign) else lock(campaign, step)
    check(row, step)
    target = TABLE[step].to
    for field, value in changes.items():
        setattr(row, field, value)
    row.state = target
    row.save(update_fields=["state", *changes])
    event = dict(data or {})
    if reason:
        event["reason"] = reason
    record(TABLE[step].event, actor=actor, obj=row, data=event, at=now)
    return row
