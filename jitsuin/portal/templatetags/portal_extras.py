"""Filters for the portal templates: request states and kinds in plain words."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise

from jitsuin.portal import presenters
from jitsuin.revocation.check import REASON_TEXT

register = template.Library()


@register.filter
def request_state(state: str) -> Promise | str:
    return presenters.state_label(state)


@register.filter
def request_kind(kind: str) -> Promise:
    return presenters.kind_label(kind)


@register.filter
def revocation_reason(reason: str) -> Promise | str:
    return REASON_TEXT.get(reason, reason)


@register.filter
def serial_pairs(serial_hex: str) -> str:
    """``30E4A6`` -> ``30 E4 A6``: the serial in byte pairs, as operating systems show it."""
    text = (serial_hex or "").replace(" ", "").replace(":", "").upper()
    if len(text) % 2:
        text = "0" + text
    return " ".join(text[i : i + 2] for i in range(0, len(text), 2))
