"""Tags for the shared layout (``jitsuin/base.html``): maintenance banner, helpdesk address,
the site name and ``<time datetime>`` values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone, translation

from jitsuin.config import current
from jitsuin.lifecycle.maintenance import ANNOUNCE_AHEAD
from jitsuin.lifecycle.models import MaintenanceWindow

register = template.Library()


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


@register.simple_tag
def site_name() -> str:
    """The service's name users see (``JITSUIN_SITE_NAME``): page titles and the header."""
    return current().portal.site_name


@register.filter
def datetime_attr(value: datetime | None) -> str:
    """A ``<time datetime>`` value: local ISO 8601 to the second (no microseconds)."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
