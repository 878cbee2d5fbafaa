"""Timings of revocation publishing: ``jitsuin.config``'s ``publishing`` part."""

from __future__ import annotations

from jitsuin.config import PublishingConfig, current

PublishingTimings = PublishingConfig


def timings() -> PublishingTimings:
    return current().publishing
