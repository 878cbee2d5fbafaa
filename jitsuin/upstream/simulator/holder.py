"""The one-time URLs (no client certificate): the administrator's access-PIN ZIP behind two
form steps, and the holder's PKCS#12, served only after the PIN step, its key made when the
download is first asked for."""

from __future__ import annotations

import io
import time
import zipfile

from jitsuin.pki.clock import SystemClock
from jitsuin.pki.pkcs12 import build_pkcs12
from jitsuin.upstream.simulator import notices, pages
from jitsuin.upstream.simulator.authority import Authority, issue_holder
from jitsuin.upstream.simulator.config import Settings
from jitsuin.upstream.simulator.officer import Request
from jitsuin.upstream.simulator.pages import Response
from jitsuin.upstream.simulator.processing import P12_ALL_PATH, P12_PATH, PIN_ALL_PATH, PIN_PATH
from jitsuin.upstream.simulator.store import Certificate, Store, enqueue

DOWNLOAD = "/upki-odcert/download"
PIN_STEP1, PIN_STEP2 = f"{DOWNLOAD}/spEntranceCliPin.do", f"{DOWNLOAD}/spDLCliPin.do"
PIN_ALL_STEP1, PIN_ALL_STEP2 = f"{DOWNLOAD}/spEntranceCliAllPin.do", f"{DOWNLOAD}/spDLCliAllPin.do"
P12_ISSUE = f"{DOWNLOAD}/spDLCli.do"
ALL_STEP1, ALL_ISSUE = f"{DOWNLOAD}/spEntranceCliAll.do", f"{DOWNLOAD}/spDLCliAll.do"
# Each page's form leads to the next step of its flow (Kyoto's portal follows them so).
NEXT = {
    PIN_PATH: PIN_STEP1,
    PIN_STEP1: PIN_STEP2,
    PIN_ALL_PATH: PIN_ALL_STEP1,
    PIN_ALL_STEP1: PIN_ALL_STEP2,
    P12_PATH: P12_ISSUE,
    P12_ALL_PATH: ALL_STEP1,
    ALL_STEP1: ALL_ISSUE,
}
PIN_FILE_HEADER = "氏名\tメールアドレス\tアクセスPIN\t主体者DN"
CLIENT_FILE_HEADER = "シリアル番号\t氏名\tメールアドレス\t主体者DN"


def _usable(certificate: Certificate | None) -> Response | None:
    if certificate is None:
        return pages.message("エラー", "このURLは無効です。", status=404)
    if certificate.broken:
        return pages.message(
            "エラー",
            "証明書の発行処理が中断されました（発行ボタンが複数回押されました）。"
            "登録担当者に再申請を依頼してください。",
            status=409,
        )
    if certificate.url_expires < time.time():
        return pages.message("エラー", "このURLの有効期限が切れています。", status=410)
    return None


def pin_entrance(store: Store, _settings: Settings, request: Request) -> Response:
    certificate = store.by_token("pin_token", request.query.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    if certificate.pin_taken:
        return pages.message("エラー", "このアクセスPINは取得済みです。", status=410)
    step = pages.form(NEXT[request.path], {"t": certificate.pin_token}, "次へ")
    return pages.html(f"<p>アクセスPINを取得します。</p>{step}", heading="アクセスPIN取得")


def pin_step1(store: Store, settings: Settings, request: Request) -> Response:
    certificate = store.by_token("pin_token", request.form.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    step = pages.form(NEXT[request.path], {"t": certificate.pin_token}, "ダウンロード")
    return pages.html(f"<p>アクセスPINファイル（ZIP）をダウンロードします。</p>{step}")


def pin_step2(store: Store, _settings: Settings, request: Request) -> Response:
    """The ZIP: one text file (cp932), a header line, then name, e-mail, PIN, DN."""
    certificate = store.by_token("pin_token", request.form.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    with store.transaction() as db:
        taken = db.execute(
            "UPDATE certificates SET pin_taken = 1 WHERE id = ? AND pin_taken = 0",
            (certificate.id,),
        ).rowcount
    if not taken:
        return pages.message("エラー", "このアクセスPINは取得済みです。", status=410)
    holder = certificate.holder
    line = "\t".join([holder.user_name, holder.user_email, certificate.pin, certificate.dn])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pin.txt", (PIN_FILE_HEADER + "\r\n" + line + "\r\n").encode("cp932"))
    return pages.file(buffer.getvalue(), "application/zip", "pin.zip")


def p12_entrance(store: Store, _settings: Settings, request: Request) -> Response:
    certificate = store.by_token("p12_token", request.query.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    if not certificate.pin_taken:
        return pages.message(
            "エラー", "利用管理者がアクセスPINを取得するまで、このURLは使えません。", status=403
        )
    if certificate.p12 is not None:
        return pages.message("エラー", "この証明書はダウンロード済みです。", status=410)
    step = pages.form(NEXT[request.path], {"t": certificate.p12_token}, "発行")
    return pages.html(
        "<p>「発行」を押すと鍵と証明書を作成します。しばらくお待ちください。"
        f"ボタンは一度だけ押してください。</p>{step}",
        heading="クライアント証明書発行",
    )


def bulk_step1(store: Store, _settings: Settings, request: Request) -> Response:
    """Bulk download's second page: its form asks for the ZIP (keys are made then)."""
    certificate = store.by_token("p12_token", request.form.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    step = pages.form(ALL_ISSUE, {"t": certificate.p12_token}, "ダウンロード")
    return pages.html(f"<p>証明書ファイル（ZIP）をダウンロードします。</p>{step}")


def p12_issue(authority: Authority, store: Store, settings: Settings, request: Request) -> Response:
    """The holder's .p12."""
    issued = _issued(authority, store, settings, request)
    if isinstance(issued, Response):
        return issued
    assert issued.p12 is not None
    return pages.file(issued.p12, "application/x-pkcs12", _p12_name(issued))


def bulk_issue(
    authority: Authority, store: Store, settings: Settings, request: Request
) -> Response:
    """Bulk download's ZIP: ``client.txt`` (cp932; a header line, then serial, name, e-mail,
    DN, as Kyoto's portal reads it) and the .p12."""
    issued = _issued(authority, store, settings, request)
    if isinstance(issued, Response):
        return issued
    assert issued.p12 is not None
    holder = issued.holder
    line = "\t".join([issued.serial, holder.user_name, holder.user_email, issued.dn])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("client.txt", f"{CLIENT_FILE_HEADER}\r\n{line}\r\n".encode("cp932"))
        archive.writestr(_p12_name(issued), issued.p12)
    return pages.file(buffer.getvalue(), "application/zip", "client.zip")


def _p12_name(certificate: Certificate) -> str:
    return (certificate.holder.pkcs12_name or "certificate") + ".p12"


def _issued(
    authority: Authority, store: Store, settings: Settings, request: Request
) -> Certificate | Response:
    """Made on the first click; a click while that runs waits and gets the same file, unless
    ``break_on_second_click`` reproduces the real service (the issuance breaks)."""
    started = time.time()
    certificate = store.by_token("p12_token", request.form.get("t", ""))
    refused = _usable(certificate)
    if refused or certificate is None:
        return refused or pages.message("エラー", "このURLは無効です。", status=404)
    if not certificate.pin_taken:
        return pages.message("エラー", "アクセスPINが未取得です。", status=403)
    lock = store.generation_lock(certificate.id)
    if settings.break_on_second_click and lock.locked():
        with store.transaction() as db:
            db.execute("UPDATE certificates SET broken = 1 WHERE id = ?", (certificate.id,))
        return _usable(store.certificate(certificate.id)) or pages.message("", "", status=409)
    with lock:
        current = store.certificate(certificate.id)
        if current.broken:
            return _usable(current) or pages.message("", "", status=409)
        if current.p12 is None:
            current = _make(authority, store, settings, current)
            if current.broken:
                return _usable(current) or pages.message("", "", status=409)
        elif current.collected_at is None or started > current.collected_at:
            return pages.message("エラー", "この証明書はダウンロード済みです。", status=410)
    return current


def _make(authority: Authority, store: Store, settings: Settings, c: Certificate) -> Certificate:
    holder = c.holder
    time.sleep(settings.key_generation_delay)
    key, issued = issue_holder(
        authority, dn=c.dn, profile_id=c.profile_id, email=holder.user_email, clock=SystemClock()
    )
    p12 = build_pkcs12(
        key=key,
        certificate=issued,
        chain=[authority.signer.certificate],
        pin=c.pin,
        friendly_name=holder.pkcs12_name or holder.user_name,
    )
    serial = str(issued.serial_number)
    expires = issued.not_valid_after_utc.strftime("%Y/%m/%d")
    with store.transaction() as db:
        made = db.execute(
            "UPDATE certificates SET p12 = ?, serial = ?, expires = ?, collected_at = ?, "
            "state = ? WHERE id = ? AND broken = 0",
            (p12, serial, expires, time.time(), 6 if c.old_serial else 5, c.id),
        ).rowcount
        if not made:  # a second click broke it meanwhile (break_on_second_click)
            return store.certificate(c.id)
        enqueue(
            db,
            holder.admin_email,
            notices.collected(
                settings,
                authority.sign_mail,
                to=holder.admin_email,
                dn=c.dn,
                serial=serial,
                old_serial=c.old_serial,
            ),
        )
    return store.certificate(c.id)


ROUTES = {
    ("GET", PIN_PATH): pin_entrance,
    ("GET", PIN_ALL_PATH): pin_entrance,
    ("POST", PIN_STEP1): pin_step1,
    ("POST", PIN_ALL_STEP1): pin_step1,
    ("POST", PIN_STEP2): pin_step2,
    ("POST", PIN_ALL_STEP2): pin_step2,
    ("GET", P12_PATH): p12_entrance,
    ("GET", P12_ALL_PATH): p12_entrance,
    ("POST", ALL_STEP1): bulk_step1,
}
# These make the key: they need the CA as well.
ISSUING = {P12_ISSUE: p12_issue, ALL_ISSUE: bulk_issue}
