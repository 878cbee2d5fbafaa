"""Filters for the portal templates: request states and kinds in plain words, Wi-Fi names."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.functional import Promise
from django.utils.translation import pgettext

from jitsuin.config import current
from jitsuin.lifecycle.issuers import when_text
from jitsuin.lifecycle.models import Request, RequestTransition
from jitsuin.lifecycle.reasons import reason_label
from jitsuin.pki.names import Serial
from jitsuin.portal import presenters

register = template.Library()


def configured_wifi_networks() -> tuple[str, ...]:
    """The SSIDs from ``JITSUIN_WIFI_NETWORKS`` (commas only: an SSID may contain spaces)."""
    return current().portal.wifi_networks


@register.simple_tag
def wifi_networks(style: str = "list") -> str:
    """The configured SSIDs in the page language: ``list`` "A, B, C" or ``and`` "A, B and C".

    Use with ``as`` and put the variable into a ``{% blocktranslate %}`` sentence.
    """
    names = configured_wifi_networks()
    separator = pgettext("between Wi-Fi network names", ", ")
    if style == "and" and len(names) > 1:
        return pgettext("the last two Wi-Fi network names", "%(first)s and %(last)s") % {
            "first": separator.join(names[:-1]),
            "last": names[-1],
        }
    return separator.join(names)


@register.filter
def request_state(state: str) -> Promise | str:
    return presenters.state_label(state)


@register.filter
def request_status(item: Request) -> Promise | str:
    return presenters.request_status(item)


@register.filter
def history_step(step: RequestTransition) -> Promise | str:
    return presenters.step_label(step)


@register.filter
def request_kind(kind: str) -> Promise:
    return presenters.kind_label(kind)


@register.filter
def revocation_reason(reason: str) -> Promise | str:
    return reason_label(reason)


@register.filter
def serial_pairs(serial: str) -> str:
    """``30e4a6`` -> ``30 E4 A6``: any hex spelling in byte pairs, as operating systems show it."""
    return Serial.parse(serial).hex_pairs if serial else ""


@register.filter
def weekday_time(value: datetime | None) -> str:
    """``12月3日（木）19:51`` / ``Thu 3 Dec 19:51`` in local time (lifecycle.issuers.when_text)."""
    return when_text(value) if value else ""
