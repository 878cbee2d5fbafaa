"""The institution's certificate list (cp932 TSV with a header row): what the mails did not
say, reconciled. 状態: 4 waiting for pickup, 5 issued, 6 renewed, 7 revoked."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

ENCODING = "cp932"
HEADER = ("主体者DN", "状態", "シリアル番号", "申請ID", "有効期限", "URL有効期限")


class State(enum.IntEnum):
    WAITING_FOR_PICKUP = 4
    ISSUED = 5
    RENEWED = 6
    REVOKED = 7


@dataclass(frozen=True)
class Entry:
    dn: str
    state: State
    serial: str  # decimal
    application_id: str
    expires: str
    url_expires: str


def to_tsv(entries: Iterable[Entry]) -> bytes:
    lines = ["\t".join(HEADER)]
    for e in entries:
        lines.append(
            "\t".join(
                [e.dn, str(int(e.state)), e.serial, e.application_id, e.expires, e.url_expires]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def parse_tsv(data: bytes) -> list[Entry]:
    """The entries, by position. Only the first header cell (主体者DN) is known from public
    sources; the other names in ``HEADER`` are the simulator's (docs/upstream-service-facts.md)."""
    rows = [line.split("\t") for line in data.decode(ENCODING).splitlines() if line.strip()]
    if not rows or rows[0][0] != HEADER[0]:
        raise ValueError("not a status list: its first row names no 主体者DN column")
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [*row, *[""] * (len(HEADER) - len(row))]
        try:
            state = State(int(cells[1]))
        except ValueError as exc:
            raise ValueError(f"status list line {number}: state {cells[1]!r} unknown") from exc
        entries.append(Entry(cells[0], state, cells[2], cells[3], cells[4], cells[5]))
    return entries
