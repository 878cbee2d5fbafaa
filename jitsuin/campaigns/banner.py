"""The portal banner: the campaign a person still has to switch for, and, once the old CA
was revoked, the notice that their certificate stopped working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.campaigns import members
from jitsuin.campaigns.mailing import link_for
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState
from jitsuin.lifecycle.issuers import when_text
from jitsuin.lifecycle.models import Person

# How long after the old CA was revoked a straggler still sees why nothing works any more.
SHOWN_AFTER_REVOCATION = timedelta(days=60)


@dataclass(frozen=True)
class Banner:
    """What the portal shows a person who still has to switch (``over``: too late, it has
    stopped working)."""

    campaign: str
    title: str
    note: str
    deadline: datetime
    link: str
    over: bool = False
    # The old certificate's key is archived (S/MIME): say it stays recoverable.
    key_recoverable: bool = False


def _old_names(campaign: Campaign) -> str:
    return ", ".join(a.name for a in campaign.old_authorities.all())


def _banner(campaign: Campaign, *, key_recoverable: bool = False) -> Banner:
    """The banner text in the active language; never the operator's mail text, which is a
    template for e-mail (placeholders, the institution's subject prefix)."""
    old = _old_names(campaign)
    if campaign.state == CampaignState.COMPLETED:
        moment = campaign.completed_at or campaign.deadline
        return Banner(
            campaign=campaign.name,
            title=_("Your client certificate stopped working on %(when)s")
            % {"when": when_text(moment)},
            note=_(
                "The old intermediate CA (%(names)s) was revoked. Issue a new certificate and "
                "install it on every device that uses Wi-Fi, VPN or single sign-on."
            )
            % {"names": old},
            deadline=moment,
            link=link_for(campaign),
            over=True,
            key_recoverable=key_recoverable,
        )
    return Banner(
        campaign=campaign.name,
        title=_("Replace your client certificate by %(when)s")
        % {"when": when_text(campaign.deadline)},
        note=_(
            "Then the old intermediate CA (%(names)s) is revoked and your current certificate "
            "stops working. Issue a new one and install it on every device."
        )
        % {"names": old},
        deadline=campaign.deadline,
        link=link_for(campaign),
        key_recoverable=key_recoverable,
    )


def banner_for(person: Person, *, now: datetime | None = None) -> Banner | None:
    """The running (or recently completed) campaign this person has not migrated in, if any;
    its text is in the active language."""
    now = now or timezone.now()
    recent = Q(state=CampaignState.COMPLETED, completed_at__gte=now - SHOWN_AFTER_REVOCATION)
    campaigns = (
        Campaign.objects.filter(Q(state__in=RUNNING_STATES) | recent, members__person=person)
        .select_related("new_authority")
        .prefetch_related("old_authorities")
        .order_by("deadline")
    )
    for campaign in campaigns:
        if members.not_migrated(campaign, now=now).filter(person=person).exists():
            return _banner(campaign, key_recoverable=members.has_archived_key(campaign, person))
    return None
