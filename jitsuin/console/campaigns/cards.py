"""The console dashboard's card for each running campaign, shaped for the template.

One query for the running campaigns, one progress aggregate per running campaign (there is
usually one) and one for the issuing CA: the dashboard's query count does not grow with the
number of members.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

from jitsuin.audit.actors import Actor
from jitsuin.authorities.services import AuthorityError, issuing_authority
from jitsuin.campaigns import queries
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState
from jitsuin.console.roles import MANAGE_CAMPAIGNS, VIEW_CAMPAIGNS, perm


@dataclass(frozen=True)
class CampaignCard:
    """What the dashboard says about one running campaign, in the viewer's language."""

    pk: int
    name: str
    state: str
    deadline: datetime
    countdown: str
    overdue: bool
    migrated: int
    total: int
    percent_migrated: int
    awaiting_your_confirmation: bool
    issuing_authority: str


def countdown(deadline: datetime, *, now: datetime) -> str:
    """``あと12日3時間`` / ``12 days 3 hours left``; ``1 day left``, never ``1 days``."""
    left = deadline - now
    if left.total_seconds() <= 0:
        return _("The deadline has passed")
    days, seconds = left.days, left.seconds
    hours = seconds // 3600
    hours_text = npgettext("campaign countdown", "%(count)d hour", "%(count)d hours", hours) % {
        "count": hours
    }
    if days:
        days_text = npgettext("campaign countdown", "%(count)d day", "%(count)d days", days) % {
            "count": days
        }
        if not hours:
            return _("%(time)s left") % {"time": days_text}
        return _("%(days)s %(hours)s left") % {"days": days_text, "hours": hours_text}
    if hours:
        return _("%(time)s left") % {"time": hours_text}
    return _("Less than an hour left")


def _issuing_name() -> str:
    try:
        return issuing_authority().name
    except AuthorityError:
        return ""


def running_campaign_cards(
    user: AbstractBaseUser | AnonymousUser, *, now: datetime
) -> list[CampaignCard]:
    """A card per running campaign for a viewer who may see campaigns; none for others.

    "Awaiting your confirmation" is set when the campaign waits for a CA admin's confirmation
    of the revocation and the viewer is one who may give it.
    """
    if not user.has_perm(perm(VIEW_CAMPAIGNS)):
        return []
    campaigns = list(Campaign.objects.filter(state__in=RUNNING_STATES).order_by("deadline"))
    if not campaigns:
        return []
    may_confirm = user.has_perm(perm(MANAGE_CAMPAIGNS))
    issuing = _issuing_name()
    cards = []
    for campaign in campaigns:
        progress = queries.progress(campaign, now=now)
        cards.append(
            CampaignCard(
                pk=campaign.pk,
                name=campaign.name,
                state=str(CampaignState(campaign.state).label),
                deadline=campaign.deadline,
                countdown=countdown(campaign.deadline, now=now),
                overdue=campaign.deadline <= now,
                migrated=progress.migrated,
                total=progress.total,
                # Rounded down: 100 % only when everyone has moved.
                percent_migrated=math.floor(progress.percent(queries.MIGRATED)),
                # Dual control: not the admin whose first confirmation is waiting.
                awaiting_your_confirmation=may_confirm
                and campaign.state == CampaignState.AWAITING_CONFIRMATION
                and campaign.first_confirmed_by != str(Actor.staff(user.get_username())),
                issuing_authority=issuing,
            )
        )
    return cards
