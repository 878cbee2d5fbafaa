"""The national service's formats: application TSV (cp932), result pages (EUC-JP), mails
(ISO-2022-JP), the status list (cp932): written and read back, names with kanji and
half-width katakana intact, what cp932 cannot carry refused with a clear message."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from jitsuin.upstream.applications import (
    Application,
    ApplicationError,
    check_field,
    parse_tsv,
    to_tsv,
)
from jitsuin.upstream.mails import Kind, jis_text, parse_mail, subject_of, write_mail
from jitsuin.upstream.results import DN_EXISTS, PageRow, parse_result_page, write_result_page
from jitsuin.upstream.status_list import Entry, State
from jitsuin.upstream.status_list import parse_tsv as parse_status_list
from jitsuin.upstream.status_list import to_tsv as status_list_tsv

ISSUE = Application(
    dn="CN=ﾔﾏﾀﾞ ﾀﾛｳ,OU=001,OU=情報環境機構,O=Example University,L=Kyoto,C=JP",
    profile_id="5",
    download_method="1",
    admin_name="証明書 係",
    admin_department="情報環境機構",
    admin_email="pki-portal@example.ac.jp",
    user_name="山田 太郎",
    pkcs12_name="yamada20261204",
    user_department="工学研究科",
    user_email="taro@example.ac.jp",
)


def test_an_application_file_is_15_columns_of_cp932_and_reads_back() -> None:
    data = to_tsv([ISSUE, Application(dn="CN=x,C=JP", serial="1234567890123", reason="0")])
    assert data.decode("cp932").splitlines()[0].count("\t") == 14
    assert parse_tsv(data) == [
        ISSUE,
        Application(dn="CN=x,C=JP", serial="1234567890123", reason="0"),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("髙橋", None),
        ("Ａｂｃ①", None),
        ("🍣", "U\\+1F363"),
        ("Zoe\u0308", "U\\+0308"),
        ("a\tb", "tabs"),
    ],
)
def test_what_cp932_cannot_carry_is_refused_naming_the_character(value, message) -> None:
    if message is None:
        check_field("user_name", value)
        return
    with pytest.raises(ApplicationError, match=message):
        check_field("user_name", value)


def test_a_file_with_a_bad_line_names_the_line() -> None:
    with pytest.raises(ApplicationError, match="line 2: 3 columns"):
        parse_tsv(to_tsv([ISSUE]) + "a\tb\tc\r\n".encode("cp932"))


SUCCESS = """<html><head><title>電子証明書自動発行支援システム</title></head><body><table>
<tr><td>ファイルのアップロード処理が完了しました。<br></td></tr>
<tr><td><table><tr><th>SEQ</th><th>処理結果</th><th>エラー内容</th><th>機関名</th></tr>
<tr><td> 1 </td><td> OK </td><td>&nbsp;</td><td>試験大学</td></tr>
<tr><td> 2 </td><td> OK </td><td>&nbsp;</td><td>試験大学</td></tr>
</table></td></tr></table></body></html>"""
FAILURE = """<html><body><table><tr><td>
クライアント証明書　発行処理が以下のエラーにより正常終了しませんでした。</td></tr>
<tr><td><table><tr><th>SEQ</th><th>処理結果</th><th>エラー内容</th></tr>
<tr><td>1</td><td>NG</td><td>212:1,主体者DN,指定したDNはすでに存在しています。</td></tr>
</table></td></tr></table></body></html>"""


def test_result_pages_in_euc_jp_say_which_lines_went_through() -> None:
    accepted = parse_result_page(SUCCESS.encode("euc_jp"))
    assert accepted.accepted and [line.ok for line in accepted.lines] == [True, True]
    refused = parse_result_page(FAILURE.encode("euc_jp"))
    assert not refused.accepted
    line = refused.line(1)
    assert line is not None and not line.ok and line.code == DN_EXISTS
    assert line.field == "主体者DN" and "すでに存在" in line.error


def _mail(subject: str, body: str) -> bytes:
    """As Japanese mailers send it: ISO-2022-JP on the label, half-width katakana inside."""
    message = EmailMessage()
    message["From"] = "ca-support@example.jp"
    message["To"] = "pki-portal@example.ac.jp"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid()
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = 'text/plain; charset="ISO-2022-JP"'
    message["Content-Transfer-Encoding"] = "7bit"
    head = bytes(message).rstrip(b"\n") + b"\n\n"
    return head + body.encode("iso2022_jp_ext")


DN_BLOCK = """【対象証明書DN】
　---------------------------------------------
　CN=ﾔﾏﾀﾞ ﾀﾛｳ
　OU=001
　OU=情報環境機構
　O=Example University
　C=JP
　---------------------------------------------
"""


def test_mails_in_iso_2022_jp_give_their_kind_dn_and_serials() -> None:
    collected = parse_mail(
        _mail(
            "[UPKI] クライアント証明書取得通知",
            DN_BLOCK + "\n【対象証明書シリアル番号】\n　4097000000000000000\n",
        )
    )
    assert collected is not None and collected.kind is Kind.COLLECTED
    assert collected.dn == "CN=ﾔﾏﾀﾞ ﾀﾛｳ,OU=001,OU=情報環境機構,O=Example University,C=JP"
    assert collected.serial == "4097000000000000000"
    renewed = parse_mail(
        _mail(
            "[UPKI] クライアント証明書更新通知",
            DN_BLOCK
            + "\n【新証明書シリアル番号】\n　6967484703334057720\n"
            + "\n【旧証明書のシリアル番号】\n　539235709030798470\n",
        )
    )
    assert renewed is not None and (renewed.serial, renewed.old_serial) == (
        "6967484703334057720",
        "539235709030798470",
    )
    pin = parse_mail(
        _mail(
            "[UPKI] アクセスPIN発行通知 / [UPKI] access PIN notice",
            "下記URLよりアクセスPINを取得してください。\nhttps://upki-sim.example.jp/pin?t=abc123\n",
        )
    )
    assert pin is not None and pin.kind is Kind.ACCESS_PIN
    assert pin.url == "https://upki-sim.example.jp/pin?t=abc123"
    assert parse_mail(_mail("Re: lunch", "no")) is None


def test_the_status_list_reads_back_with_its_states() -> None:
    entries = [
        Entry("CN=ﾔﾏﾀﾞ,OU=情報,C=JP", State.ISSUED, "4097", "A1", "2027/12/04", ""),
        Entry("CN=x,C=JP", State.REVOKED, "12", "A2", "2027/01/01", ""),
    ]
    assert parse_status_list(status_list_tsv(entries)) == entries
    with pytest.raises(ValueError, match="主体者DN"):
        parse_status_list("DN\tstate\r\n".encode("cp932"))


def test_the_result_page_writer_is_read_back_by_the_parser() -> None:
    rows = [
        PageRow(1, True, institution="試験大学", department="工学研究科", name="髙橋 ﾀﾛｳ"),
        PageRow(2, False, "371:2,主体者DN,OUが許可リストに登録されていません。"),
    ]
    accepted = parse_result_page(write_result_page(rows, accepted=True))
    assert accepted.accepted
    assert [(line.seq, line.ok, line.code) for line in accepted.lines] == [
        (1, True, ""),
        (2, False, "371"),
    ]
    refused = parse_result_page(write_result_page(rows, accepted=False))
    assert not refused.accepted and [line.seq for line in refused.lines] == [2]
    page = write_result_page(rows, accepted=True).decode("euc_jp")
    assert "ﾀﾛｳ" in page and "&#39641;" in page  # 髙 is not in EUC-JP: a reference


def test_the_mail_writer_is_read_back_by_the_parser_with_half_width_katakana() -> None:
    data = write_mail(
        kind=Kind.COLLECTED,
        sender="ca-support@example.jp",
        to="pki-portal@example.ac.jp",
        body=DN_BLOCK + "\n【対象証明書シリアル番号】\n　4097000000000000000\n髙橋\n",
        english="[UPKI] client certificate download notification",
    )
    assert all(byte < 128 for byte in data) and b"\r\n\r\n" in data
    notice = parse_mail(data)
    assert notice is not None and notice.kind is Kind.COLLECTED
    assert notice.dn == "CN=ﾔﾏﾀﾞ ﾀﾛｳ,OU=001,OU=情報環境機構,O=Example University,C=JP"
    assert notice.serial == "4097000000000000000"
    assert "〓" in jis_text("髙").decode("iso2022_jp_ext")  # outside ISO-2022-JP: the geta mark


def test_the_subject_of_any_mail_is_decoded_for_the_console() -> None:
    notice = write_mail(
        kind=Kind.ACCESS_PIN,
        sender="upki@example.jp",
        to="portal@example.ac.jp",
        body="https://upki-sim.example.jp/pin?t=abc\n",
        english="[UPKI] access PIN notice",
    )
    assert b"=?iso-2022-jp?" in notice.lower()
    assert subject_of(notice) == "[UPKI] アクセスPIN発行通知 / [UPKI] access PIN notice"
    assert subject_of(b"From: someone\r\nSubject: Re:\r\n  lunch\r\n\r\nhello") == "Re: lunch"
    assert subject_of(b"From: someone\r\n\r\nno subject") == ""
    assert subject_of(b"\xff\xfe not a mail") == ""
