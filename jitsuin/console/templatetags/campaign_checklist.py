"""``{% deadline_checklist campaign %}``: the relying-party checklist on the campaign page."""

from __future__ import annotations

from typing import Any

from django import template

from jitsuin.campaigns.models import Campaign
from jitsuin.console.campaigns.checklist import checklist

register = template.Library()


@register.inclusion_tag("console/campaigns/_checklist.html")
def deadline_checklist(campaign: Campaign) -> dict[str, Any]:
    return {"checklist": checklist(campaign)}
