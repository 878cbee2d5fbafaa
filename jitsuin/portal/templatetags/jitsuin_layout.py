"""Tags for the shared layout (``jitsuin/base.html``): maintenance banner, helpdesk address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone, translation

from jitsuin.config import current
from jitsuin.lifecycle.models import MaintenanceWindow

register = template.Library()

# Windows that start within this time are announced before they begin.
ANNOUNCE_AHEAD = timedelta(days=7)


def windows_to_show(now=None) -> list[MaintenanceWindow]:  # type: ignore[no-untyped-def]
    """The current maintenance window and those starting soon, earliest first."""
    now = now or timezone.now()
    return list(
        MaintenanceWindow.objects.filter(
            ends_at__gt=now, starts_at__lte=now + ANNOUNCE_AHEAD
        ).order_by("starts_at")[:3]
    )


@register.inclusion_tag("jitsuin/_maintenance_banner.html")
def maintenance_banner() -> dict[str, Any]:
    now = timezone.now()
    language = translation.get_language() or "ja"
    items = []
    for window in windows_to_show(now):
        note = window.note_ja if language.startswith("ja") else window.note_en
        items.append(
            {
                "window": window,
                "active": window.starts_at <= now,
                "note": note or window.note_en or window.note_ja,
            }
        )
    return {"items": items}


@register.simple_tag
def helpdesk_email() -> str:
    return current().helpdesk_email
