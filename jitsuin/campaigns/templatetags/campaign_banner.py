"""``{% load campaign_banner %}{% campaign_banner %}``: the switchover banner for the signed-in
person while they have not migrated (for the portal's pages)."""

from __future__ import annotations

from typing import Any

from django import template

from jitsuin.campaigns.banner import banner_for

register = template.Library()


@register.inclusion_tag("campaigns/_banner.html", takes_context=True)
def campaign_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    banner = banner_for(person) if person else None
    return {"banner": banner}
