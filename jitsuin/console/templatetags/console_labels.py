"""Codes shown to staff as words in their language: request states, why a request waits,
creation notes that are policy codes, and stored pre-flight checks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.campaigns.preflight import Check
from jitsuin.lifecycle.choices import RequestState
from jitsuin.lifecycle.models import (
    WAIT_MAINTENANCE,
    WAIT_POLICY,
    WAIT_RETRY,
    WAIT_UPSTREAM,
    WAIT_UPSTREAM_MAINTENANCE,
    RolloverPolicy,
)

register = template.Library()

WAIT_LABELS = {
    WAIT_MAINTENANCE: _("maintenance window"),
    WAIT_UPSTREAM_MAINTENANCE: _("the upstream CA is in maintenance"),
    WAIT_POLICY: _("waiting for the revocation of the current certificate"),
    WAIT_RETRY: _("retry after a temporary error"),
    WAIT_UPSTREAM: _("the upstream CA is still working on it"),
}


@register.filter
def request_state(value: str | None) -> Promise | str:
    """``queued`` → 受付済み; an empty state (the first transition) → —."""
    if not value:
        return "—"
    try:
        return RequestState(value).label
    except ValueError:
        return value


@register.filter
def wait_label(value: str | None) -> Promise | str:
    return WAIT_LABELS.get(value or "", value or "")


@register.filter
def note_label(value: str | None) -> Promise | str:
    """A note that is a code (a rollover policy, a wait reason) in words; other notes as written."""
    if not value:
        return ""
    try:
        return RolloverPolicy(value).label
    except ValueError:
        return WAIT_LABELS.get(value, value)


@register.filter
def stored_checks(entries: Iterable[Any] | None) -> list[Check]:
    """``Campaign.preflight`` (or a summary's checks) read back in the reader's language."""
    return [Check.from_dict(e) for e in entries or () if isinstance(e, dict)]


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def local_times(value: Any) -> Any:
    """Every ISO timestamp with an offset inside ``value`` moved to the local zone (+09:00)."""
    if isinstance(value, dict):
        return {k: local_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [local_times(v) for v in value]
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return timezone.localtime(parsed).isoformat(timespec="seconds")
    return value


@register.filter
def as_local_json(value: Any) -> str:
    """Event data as compact JSON with its times in the local zone, as the rest of the page."""
    return json.dumps(local_times(value), ensure_ascii=False, separators=(", ", ": "), default=str)
