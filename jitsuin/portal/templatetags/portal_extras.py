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
