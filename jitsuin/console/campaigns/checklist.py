"""The relying-party checklist for the deadline moment, shown on the campaign page.

At the deadline the old intermediate is revoked and the root's CRL lists it. OCSP answers
change at once; services that read CRLs from files (FreeRADIUS, nginx) see it only after the
sync script fetched the new CRL and the service reloaded (docs/relying-parties.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from jitsuin.authorities.models import Authority
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, CampaignState
from jitsuin.config import current

SYNC = "/usr/local/sbin/jitsuin-sync /etc/jitsuin"


@dataclass(frozen=True)
class CrlLink:
    authority: str
    der: str
    pem: str


@dataclass(frozen=True)
class Checklist:
    at: datetime
    done: bool  # the campaign completed: the CRL listing the old CA is out
    crls: list[CrlLink]
    bundle: str
    commands: dict[str, str]


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
            "freeradius": f"{SYNC} && systemctl restart freeradius",
            "nginx": f"{SYNC} && systemctl reload nginx",
            "verify": "jitsuin check old.p12 --online",
            "openssl": "openssl verify -crl_check_all -CAfile roots.pem -untrusted cas.pem "
            "-CRLfile crls.pem old.pem",
        },
    )
