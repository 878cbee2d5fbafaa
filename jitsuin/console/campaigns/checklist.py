"""The relying-party checklist for the deadline moment, shown on the campaign page.

At the deadline the old intermediate is revoked and the root's CRL lists it. OCSP answers
change at once; services that read CRLs from files (FreeRADIUS, nginx) see it only after the
agent (``jitsuin relying-party sync``) fetched the new CRL and reloaded them
(docs/relying-parties.md). Agents that report to jitsuin are listed with what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import relying_parties
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState
from jitsuin.config import current

# The agent, as docs/relying-parties.md installs it (its timer runs this every 2 minutes).
SYNC = (
    "/opt/jitsuin/bin/jitsuin relying-party sync --url {url} "
    "--roots /etc/jitsuin-pinned/roots.pem --dir /etc/jitsuin --reload-command"
)


@dataclass(frozen=True)
class CrlLink:
    authority: str
    der: str
    pem: str


@dataclass(frozen=True)
class PartyRow:
    """A reporting relying party at the deadline: does it hold the CRL that revokes the old
    intermediate (``has_it`` None while none is published)?"""

    name: str
    ok: bool  # keeps up with jitsuin's CRLs
    old: str  # the old intermediate
    loaded: int | None  # the parent's CRL number it holds
    needed: int | None  # the first CRL number that lists the old intermediate
    has_it: bool | None


@dataclass(frozen=True)
class Checklist:
    at: datetime
    done: bool  # the campaign completed: the CRL listing the old CA is out
    crls: list[CrlLink]
    bundle: str
    commands: dict[str, str]
    parties: list[PartyRow]


def party_rows(campaign: Campaign) -> list[PartyRow]:
    now = timezone.now()
    rows = []
    for old in campaign.old_authorities.select_related("parent").order_by("name"):
        for row in relying_parties.deadline_rows(old, now=now):
            rows.append(
                PartyRow(
                    name=row.state.party.name,
                    ok=row.state.ok,
                    old=old.name,
                    loaded=row.loaded.number if row.loaded else None,
                    needed=row.needed.number if row.needed else None,
                    has_it=row.has_it if row.needed else None,
                )
            )
    return rows


def checklist(campaign: Campaign) -> Checklist | None:
    """None for a draft or cancelled campaign (nothing is revoked)."""
    if campaign.state not in (*RUNNING_STATES, CampaignState.COMPLETED):
        return None
    base = current().public_url
    parents = Authority.objects.filter(
        pk__in=campaign.old_authorities.values("parent_id")
    ).order_by("name")
    crls = [
        CrlLink(
            parent.name,
            base + reverse("revocation:crl-der", args=[parent.slug]),
            base + reverse("revocation:crl-pem", args=[parent.slug]),
        )
        for parent in parents
    ]
    return Checklist(
        at=campaign.deadline,
        done=campaign.state == CampaignState.COMPLETED,
        crls=crls,
        bundle=base + reverse("revocation:crl-bundle"),
        commands={
            "freeradius": SYNC.format(url=base) + ' "systemctl restart freeradius"',
            "nginx": SYNC.format(url=base) + ' "systemctl reload nginx"',
            "verify": "jitsuin check old.p12 --online",
            "openssl": "openssl verify -crl_check_all -CAfile roots.pem -untrusted cas.pem "
            "-CRLfile crls.pem old.pem",
        },
        parties=party_rows(campaign),
    )
