"""The simulator's HTML pages, in EUC-JP as the service's are. Their layout is the
simulator's; the form names and fields are those a portal uses (docs/upstream-simulator.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

ENCODING = "euc_jp"
TITLE = "国立情報学研究所 電子証明書自動発行支援システム（シミュレータ）"
SILENT = "（シミュレータの画面です。本物の画面の文言は公開資料にありません。）"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = f"text/html; charset={ENCODING.upper().replace('_', '-')}"
    headers: dict[str, str] = field(default_factory=dict)


def html(body: str, *, status: int = 200, heading: str = "") -> Response:
    """A page around ``body`` (already HTML); characters EUC-JP lacks become references."""
    text = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">'
        f"<title>{TITLE}</title></head><body>\n"
        + (f"<h1>{escape(heading)}</h1>\n" if heading else "")
        + body
        + f"\n<p><small>{SILENT}</small></p>\n</body></html>\n"
    )
    return Response(status, text.encode(ENCODING, errors="xmlcharrefreplace"))


def message(heading: str, text: str, *, status: int) -> Response:
    return html(f"<p>{escape(text)}</p>", status=status, heading=heading)


def form(action: str, fields: dict[str, str], button: str, *, name: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    named = f' name="{escape(name)}"' if name else ""
    return (
        f'<form{named} method="post" action="{escape(action)}">{hidden}'
        f'<input type="submit" value="{escape(button)}"></form>'
    )


def maintenance(until: str) -> Response:
    return html(
        "<p>現在、システムメンテナンス中のため、ご利用いただけません。"
        f"メンテナンス終了予定：{escape(until)}</p>"
        "<p>The service is under maintenance. (Simulator: the real service's answer during "
        "maintenance is not public; HTTP 503 with this page is the simulator's choice.)</p>",
        status=503,
        heading="メンテナンス中",
    )


def file(data: bytes, content_type: str, filename: str) -> Response:
    return Response(
        200,
        data,
        content_type,
        {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )
