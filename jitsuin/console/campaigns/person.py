"""A person's switchover campaigns, for the console's person page: membership and category,
the campaign e-mails they were sent, and whether they still depend on a CA being retired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from jitsuin.authorities.models import Authority
from jitsuin.campaigns import members, queries
from jitsuin.campaigns.models import RUNNING_STATES, Campaign
from jitsuin.lifecycle.models import Certificate, Person
from jitsuin.notify.models import OutboxMessage


@dataclass(frozen=True)
class CampaignMail:
    kind: str  # invite, reminder, deadline
    label: str
    created_at: datetime
    state: str


@dataclass(frozen=True)
class Membership:
    campaign: Campaign
    running: bool
    category: str | None
    category_label: str
    mails: list[CampaignMail] = field(default_factory=list)

    @property
    def reminders(self) -> int:
        return sum(1 for m in self.mails if m.kind == "reminder")


@dataclass(frozen=True)
class Dependence:
    """The person's working certificates all come from CAs a running campaign retires."""

    authorities: list[str]
    deadline: datetime

    @property
    def names(self) -> str:
        return ", ".join(self.authorities)


@dataclass(frozen=True)
class PersonCampaigns:
    memberships: list[Membership]
    depends_on: Dependence | None


def _mail_label(key: str) -> str:
    # Keys are campaign:<pk>:invite:<person>[:resend:<minute>], :reminder:<date>:<days>:<person>,
    # :reminder:manual:<round>:<person> (sent from the console) and :deadline:<person>.
    parts = key.split(":")
    if len(parts) > 2 and parts[2] == "invite":
        return _("Invitation (sent again)") if "resend" in parts[3:] else _("Invitation")
    if len(parts) > 3 and parts[2] == "reminder" and parts[3] == "manual":
        return _("Reminder (sent by hand)")
    if len(parts) > 4 and parts[2] == "reminder":
        return _("Reminder (%(days)s days before the deadline)") % {"days": parts[4]}
    if len(parts) > 2 and parts[2] == "deadline":
        return _("Deadline notice")
    return key


def _mails(person: Person, campaign: Campaign) -> list[CampaignMail]:
    rows = OutboxMessage.objects.filter(
        person=person, key__startswith=f"campaign:{campaign.pk}:"
    ).order_by("created_at")
    return [
        CampaignMail(m.key.split(":")[2], _mail_label(m.key), m.created_at, m.get_state_display())
        for m in rows.only("key", "created_at", "state")
    ]


def depends_on(person: Person, now: datetime) -> Dependence | None:
    """Set when every working certificate of the person comes from a CA being retired."""
    retiring = queries.retirement_deadlines(now)
    if not retiring:
        return None
    issuer_revoked = Q(issuer__revoked_at__lte=now)
    working = Certificate.objects.valid(now=now).filter(person=person).exclude(issuer_revoked)
    issuers = set(working.values_list("issuer_id", flat=True))
    if not issuers or not issuers <= set(retiring):
        return None
    names = sorted(Authority.objects.filter(pk__in=issuers).values_list("name", flat=True))
    return Dependence(names, min(retiring[pk] for pk in issuers))


def person_campaigns(person: Person, now: datetime) -> PersonCampaigns:
    campaigns = Campaign.objects.filter(members__person=person).order_by("-created_at")
    memberships = []
    for campaign in campaigns:
        category = members.category_of(campaign, person.pk, now=now)
        label = str(queries.CATEGORY_LABELS[category]) if category else ""
        memberships.append(
            Membership(
                campaign=campaign,
                running=campaign.state in RUNNING_STATES,
                category=category,
                category_label=label,
                mails=_mails(person, campaign),
            )
        )
    return PersonCampaigns(memberships, depends_on(person, now))
