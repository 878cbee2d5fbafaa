"""The registration officer's side (mutual TLS): login, menu, the upload form and its result
page, the status list. Paths and form names as Kyoto University's portal uses them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jitsuin.upstream.applications import ApplyType
from jitsuin.upstream.results import write_result_page
from jitsuin.upstream.simulator import pages
from jitsuin.upstream.simulator.config import Settings
from jitsuin.upstream.simulator.intake import check_file
from jitsuin.upstream.simulator.pages import Response
from jitsuin.upstream.simulator.processing import local_time
from jitsuin.upstream.simulator.store import Store
from jitsuin.upstream.status_list import Entry, State, to_tsv

LRA = "/upki-odcert/lra"
LOGIN, MENU, MAIN_MENU = f"{LRA}/SSLLogin.do", f"{LRA}/menu.do", f"{LRA}/MainMenu.do"
UPLOAD, STATUS_LIST = f"{LRA}/SP1011.do", f"{LRA}/syomeiDL_S_Cli.do"
UPLOAD_MENU_ID = "SP1011"  # the menu's id of 発行・更新・失効
STOP_ON_ERRORS, SKIP_BAD_LINES = "1", "2"  # errorFlg: the first choice stops everything
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_UPLOADS = threading.Lock()  # a DN checked and accepted by one upload at a time


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def login(_store: Store, _settings: Settings, _request: Request) -> Response:
    """The client certificate was checked in the TLS handshake; the page is a frameset."""
    return pages.html(
        f'<frameset cols="200,*"><frame name="hidari" src="{MENU}">'
        f'<frame name="migi" src="{MENU}"></frameset>'
    )


def menu(_store: Store, settings: Settings, _request: Request) -> Response:
    return pages.html(
        f"<p>{settings.institution}</p>"
        f'<form name="MainMenuForm" method="post" action="{MAIN_MENU}">'
        '<input type="hidden" name="forwardName" value="">'
        f'<input type="submit" name="go" value="発行・更新・失効" '
        f"onclick=\"this.form.forwardName.value='{UPLOAD_MENU_ID}'\"></form>"
        f'<p><a href="{STATUS_LIST}">証明書情報一覧ダウンロード（TSV）</a></p>',
        heading="メニュー",
    )


def main_menu(_store: Store, _settings: Settings, request: Request) -> Response:
    if request.form.get("forwardName") != UPLOAD_MENU_ID:
        return pages.message("エラー", "メニューが選択されていません。", status=400)
    return pages.html(
        f'<form name="{UPLOAD_MENU_ID}" method="post" action="{UPLOAD}" '
        'enctype="multipart/form-data">'
        '<p>処理内容：<select name="applyType"><option value="1">発行</option>'
        '<option value="2">更新</option><option value="3">失効</option></select></p>'
        f'<p><input type="radio" name="errorFlg" value="{STOP_ON_ERRORS}" checked>'
        "エラーが有れば全件処理を中止する<br>"
        f'<input type="radio" name="errorFlg" value="{SKIP_BAD_LINES}">'
        "エラー行を除いて処理する</p>"
        '<p><input type="file" name="file"></p><p><input type="submit" value="申請"></p></form>',
        heading="クライアント証明書　発行・更新・失効申請",
    )


def upload(store: Store, settings: Settings, request: Request) -> Response:
    try:
        apply_type = ApplyType(int(request.form.get("applyType", "")))
    except ValueError:
        return pages.message("申請エラー", "処理内容（applyType）が不正です。", status=400)
    data = request.files.get("file")
    if data is None:
        return pages.message("申請エラー", "ファイルが指定されていません。", status=400)
    stop = request.form.get("errorFlg", STOP_ON_ERRORS) != SKIP_BAD_LINES
    delay = settings.revoke_delay if apply_type is ApplyType.REVOKE else settings.issue_delay
    with _UPLOADS:
        checked = check_file(
            data, apply_type, settings, taken=store.name_taken, by_serial=store.by_serial
        )
        if checked.has_errors and (stop or not checked.accepted):
            return Response(200, write_result_page(checked.rows, accepted=False))
        store.accept(apply_type, checked.accepted, time.time() + delay)
    return Response(200, write_result_page(checked.rows, accepted=True))


def status_list(store: Store, _settings: Settings, _request: Request) -> Response:
    """Every certificate of the institution; 状態 4 rows have no serial yet (the key is made
    at download)."""
    entries = [
        Entry(
            dn=c.dn,
            state=State(c.state),
            serial=c.serial,
            application_id=f"{c.application_id:08d}",
            expires=c.expires,
            url_expires=local_time(c.url_expires) if c.state == 4 else "",
        )
        for c in store.all_certificates()
        if not c.broken
    ]
    return pages.file(to_tsv(entries), "text/tab-separated-values; charset=Shift_JIS", "all.tsv")


Route = Callable[[Store, Settings, Request], Response]
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", LOGIN): login,
    ("GET", "/"): login,
    ("GET", MENU): menu,
    ("POST", MAIN_MENU): main_menu,
    ("POST", UPLOAD): upload,
    ("GET", STATUS_LIST): status_list,
}
