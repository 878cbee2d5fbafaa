"""The page the upload answers with (EUC-JP HTML): accepted or not, and each line's result.

Read with the standard library's HTML parser: the cells of the result table, whatever the
layout around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

ENCODING = "euc_jp"
ACCEPTED = "ファイルのアップロード処理が完了しました"
MAX_PAGE_BYTES = 2 * 1024 * 1024
# "212:1,主体者DN,指定したDNはすでに存在しています。": code, line, field, message.
_ERROR = re.compile(r"^(?P<code>\d{3}):(?P<line>\d+),(?P<field>[^,]*),(?P<message>.*)$")
DN_EXISTS, OU_NOT_ALLOWED = "212", "371"


@dataclass(frozen=True)
class LineResult:
    seq: int
    ok: bool
    error: str = ""
    code: str = ""  # the service's error code (212: the DN exists, use a renewal)
    field: str = ""


@dataclass(frozen=True)
class UploadResult:
    accepted: bool  # the success page; False: the error page (nothing of the file was taken)
    lines: tuple[LineResult, ...]

    def line(self, seq: int) -> LineResult | None:
        return next((result for result in self.lines if result.seq == seq), None)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td" and self.rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_result_page(data: bytes) -> UploadResult:
    if len(data) > MAX_PAGE_BYTES:
        raise ValueError(f"a result page of {len(data)} bytes is not one")
    cells = _Cells()
    cells.feed(data.decode(ENCODING, errors="replace"))
    accepted = ACCEPTED in "".join(cells.text)
    lines = []
    for row in cells.rows:
        if len(row) < 3 or not row[0].isdigit() or row[1] not in {"OK", "NG"}:
            continue
        error = row[2].replace("\xa0", " ").strip()
        found = _ERROR.match(error)
        lines.append(
            LineResult(
                seq=int(row[0]),
                ok=row[1] == "OK",
                error=error,
                code=found["code"] if found else "",
                field=found["field"] if found else "",
            )
        )
    return UploadResult(accepted=accepted, lines=tuple(lines))
