"""The portal banner: the running campaign a person still has to switch for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.campaigns import queries
from jitsuin.campaigns.mailing import link_for
from jitsuin.campaigns.models import RUNNING_STATES, Campaign
from jitsuin.lifecycle.models import Person


@dataclass(frozen=True)
class Banner:
    """What the portal shows a person who still has to switch."""

    campaign: str
    title: str
    body: str
    deadline: datetime
    link: str


def banner_for(
    person: Person, *, now: datetime | None = None, language: str = "ja"
) -> Banner | None:
    """The running campaign this person has not yet migrated in, if any."""
    now = now or timezone.now()
    for campaign in Campaign.objects.filter(
        state__in=RUNNING_STATES, members__person=person
    ).select_related("new_authority"):
        if queries.not_migrated(campaign, now=now).filter(person=person).exists():
            return Banner(
                campaign=campaign.name,
                title=campaign.subject(language)
                or _("Your certificate must be replaced by %(date)s")
                % {"date": f"{timezone.localtime(campaign.deadline):%Y-%m-%d}"},
                body=campaign.body(language),
                deadline=campaign.deadline,
                link=link_for(campaign),
            )
    return None
