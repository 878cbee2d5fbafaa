"""The members of a campaign as CSV, streamed row by row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from jitsuin.campaigns import queries
from jitsuin.campaigns.models import Campaign

COLUMNS = ["uid", "name", "email", "category", "last_seen_at", "old_serial"]


def _cell(value: str) -> str:
    # A cell a spreadsheet would read as a formula is written as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(
    campaign: Campaign, *, now: datetime, stragglers_only: bool = True, language: str = "ja"
) -> Iterator[list[str]]:
    yield COLUMNS
    for row in queries.member_rows(
        campaign, now=now, stragglers_only=stragglers_only, language=language
    ):
        yield [
            _cell(row.uid),
            _cell(row.name),
            _cell(row.email),
            row.category,
            row.last_seen_at.isoformat() if row.last_seen_at else "",
            row.old_serial,
        ]
