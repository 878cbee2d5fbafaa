"""The page the upload answers with (EUC-JP HTML): accepted or not, and each line's result.

Read with the standard library's HTML parser: the cells of the result table, whatever the
layout around them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
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


@dataclass(frozen=True)
class PageRow:
    """One row of a result page as the service writes it (the simulator's writer)."""

    seq: int
    ok: bool
    error: str = ""
    institution: str = ""
    department: str = ""
    name: str = ""
    email: str = ""


_TITLE = "国立情報学研究所 電子証明書自動発行支援システム"
_SUCCESS_HEAD = "クライアント証明書　発行・更新申請完了画面"
_FAILURE_HEAD = "クライアント証明書　発行・更新・失効申請エラー画面"
_FAILED = "クライアント証明書　発行処理が以下のエラーにより正常終了しませんでした。"


def _cell(text: str) -> str:
    return f'<td nowrap><font size="-1">{escape(text) if text else "&nbsp;"}</font></td>'


def write_result_page(rows: Sequence[PageRow], *, accepted: bool) -> bytes:
    """The page ``parse_result_page`` reads: the success page (every row, with the holder's
    details) or the error page (the NG rows only). EUC-JP; a character EUC-JP lacks (cp932's
    vendor extensions such as 髙 or ①) is written as an HTML character reference."""
    if accepted:
        heading, intro = _SUCCESS_HEAD, ACCEPTED + "。"
        columns: tuple[str, ...] = (
            "SEQ",
            "処理結果",
            "エラー内容",
            "機関名",
            "所属名",
            "氏名",
            "メールアドレス",
        )
        body = [
            "<tr>"
            + "".join(
                _cell(value)
                for value in (
                    str(r.seq),
                    "OK" if r.ok else "NG",
                    r.error,
                    r.institution,
                    r.department,
                    r.name,
                    r.email,
                )
            )
            + "</tr>"
            for r in rows
        ]
    else:
        heading, intro = _FAILURE_HEAD, _FAILED
        columns = ("SEQ", "処理結果", "エラー内容")
        body = [
            "<tr>" + _cell(str(r.seq)) + _cell("NG") + _cell(r.error) + "</tr>"
            for r in rows
            if not r.ok
        ]
    head = "<tr>" + "".join(f"<th nowrap>{c}</th>" for c in columns) + "</tr>"
    page = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">'
        f"<title>{_TITLE}</title></head><body><table>\n"
        f"<tr><th>{heading}</th></tr>\n<tr><th>{intro}</th></tr>\n"
        f'<tr><th><table border="1">\n{head}\n' + "\n".join(body) + "\n</table></th></tr>\n"
        "</table></body></html>\n"
    )
    return page.encode(ENCODING, errors="xmlcharrefreplace")
