"""Small display helpers for console pages."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jitsuin.authorities.models import AuthorityStatus, Role
from jitsuin.config import current
from jitsuin.lifecycle.issuers import when_text

register = template.Library()


@register.filter
def human_duration(value: timedelta | None) -> str:
    """``2 d 3 h``, ``4 h 10 min``, ``35 s``: precise enough for processing times."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": secs}
    return _("%(s)s s") % {"s": secs}


# Authority labels from the model's choices, translated in this app's catalog.
AUTHORITY_LABELS = {
    Role.ROOT: gettext_lazy("Root CA"),
    Role.INTERMEDIATE: gettext_lazy("Intermediate CA"),
    AuthorityStatus.PENDING: gettext_lazy("Pending"),
    AuthorityStatus.ACTIVE: gettext_lazy("Active (issuing)"),
    AuthorityStatus.RETIRED: gettext_lazy("Retired"),
    AuthorityStatus.REVOKED: gettext_lazy("Revoked"),
    AuthorityStatus.EXPIRED: gettext_lazy("Expired"),
}


@register.filter
def authority_label(value: str) -> Any:
    return AUTHORITY_LABELS.get(value, value)


@register.filter
def audit_object(event: Any) -> str:
    """``lifecycle.request:12``, or a dash for events about no particular object."""
    if not event.object_type and not event.object_id:
        return "—"
    return f"{event.object_type}:{event.object_id}"


@register.filter
def as_json(value: Any) -> str:
    """Event data as compact JSON (Japanese kept readable), not as a Python repr."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


@register.filter
def weekday_time(value: datetime | None) -> str:
    """``12月3日（木）19:51`` / ``Thu 3 Dec 19:51`` in local time (lifecycle.issuers.when_text)."""
    return when_text(value) if value else ""


@register.simple_tag
def upki_enabled() -> bool:
    """Whether the national service is this portal's connector (JITSUIN_UPKI_URL set): the
    navigation links its page only then."""
    return current().upki.enabled


@register.simple_tag(takes_context=True)
def console_nav_key(context: dict[str, Any]) -> str:
    """What decides the console navigation's links: the user's permissions and whether the
    national service is on. The links are kept per key (``{% cache %}``), not rendered on every
    page (a dozen permission checks and URL reversals each time)."""
    user = context["request"].user
    decided = repr((sorted(user.get_all_permissions()), current().upki.enabled))
    return hashlib.blake2b(decided.encode(), digest_size=16).hexdigest()
