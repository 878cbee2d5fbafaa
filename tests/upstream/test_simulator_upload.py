"""The officer's side of the simulator: mutual TLS, the upload form answering EUC-JP result
pages (212, 371 and the simulator's own format errors), the status list, maintenance."""

from __future__ import annotations

import ssl
import urllib.error
from datetime import UTC, datetime, timedelta

import pytest

from jitsuin.upstream.applications import Application, to_tsv
from jitsuin.upstream.results import DN_EXISTS, OU_NOT_ALLOWED, parse_result_page
from jitsuin.upstream.simulator.config import Window
from jitsuin.upstream.simulator.officer import LOGIN, STATUS_LIST, UPLOAD
from jitsuin.upstream.status_list import parse_tsv as parse_status_list
from tests.upstream.sim import OU, PORTAL, Mailbox, change, context, fetch, make, serve


def application(cn: str, ou: str = OU, name: str = "山田 太郎") -> Application:
    return Application(
        dn=f"CN={cn},OU=001,OU={ou},O=Example University,L=Kyoto,C=JP",
        profile_id="5",
        download_method="1",
        admin_name="証明書 係",
        admin_department=OU,
        admin_email=PORTAL,
        user_name=name,
        pkcs12_name=f"{cn}-2026",
        user_department="工学研究科",
        user_email=f"u{cn.encode().hex()[:16]}@example.ac.jp",
    )


@pytest.fixture
def service(tmp_path):
    with Mailbox() as mailbox:
        make(tmp_path / "sim", mailbox.port, issue_delay=30.0)
        running = serve(tmp_path / "sim")
        yield running
        running.stop()


def upload(service, data: bytes, *, apply_type: str = "1", error_flag: str = "1"):
    answer = fetch(
        service.officer_url + UPLOAD,
        context(service.directory),
        form={"applyType": apply_type, "errorFlg": error_flag},
        files={"file": data},
    )
    assert answer.status == 200 and "EUC-JP" in answer.content_type
    return parse_result_page(answer.body)


def test_the_officer_logs_in_with_the_client_certificate(service) -> None:
    answer = fetch(service.officer_url + LOGIN, context(service.directory))
    assert answer.status == 200 and 'name="hidari"' in answer.body.decode("euc_jp")


def test_a_client_without_the_officer_certificate_is_refused(service, tmp_path) -> None:
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        fetch(service.officer_url + LOGIN, context(service.directory, officer=False))


def test_a_file_with_a_bad_ou_and_a_known_dn_stops_on_errors_or_skips_the_bad_lines(
    service,
) -> None:
    first = upload(service, to_tsv([application("ﾀﾛｳ")]))
    assert first.accepted and [line.ok for line in first.lines] == [True]

    lines = [application("HANAKO"), application("JIRO", ou="未登録部局"), application("ﾀﾛｳ")]
    stopped = upload(service, to_tsv(lines))
    assert not stopped.accepted
    assert [(line.seq, line.code) for line in stopped.lines] == [
        (2, OU_NOT_ALLOWED),
        (3, DN_EXISTS),
    ]
    assert stopped.line(3).error == "212:3,主体者DN,指定したDNはすでに存在しています。"

    skipped = upload(service, to_tsv(lines), error_flag="2")
    assert skipped.accepted
    assert [(line.ok, line.code) for line in skipped.lines] == [
        (True, ""),
        (False, OU_NOT_ALLOWED),
        (False, DN_EXISTS),
    ]
    # HANAKO went through with the skipping upload: now the DN exists.
    again = upload(service, to_tsv([application("HANAKO")]))
    assert again.line(1).code == DN_EXISTS


def test_the_dn_is_compared_by_cn_and_ou_only(service) -> None:
    assert upload(service, to_tsv([application("SABURO")])).accepted
    moved = Application(
        **{**application("SABURO").__dict__, "dn": f"CN=SABURO,OU=001,OU={OU},O=Other,C=JP"}
    )
    assert upload(service, to_tsv([moved])).line(1).code == DN_EXISTS


def test_format_errors_carry_the_simulators_own_codes(service) -> None:
    not_cp932 = upload(service, b"CN=\x82\x20\t" * 5)
    assert not not_cp932.accepted and not_cp932.line(1).code == "901"
    assert "シミュレータ独自" in not_cp932.line(1).error
    short = upload(service, "CN=x\tOU=y\r\n".encode("cp932"))
    assert short.line(1).code == "902"
    japanese_address = Application(**{**application("X").__dict__, "user_email": "山田@example.jp"})
    assert upload(service, to_tsv([japanese_address])).line(1).code == "903"


def test_names_in_kanji_and_half_width_katakana_come_back_on_the_result_page(service) -> None:
    result = upload(service, to_tsv([application("ﾔﾏﾀﾞ", name="髙橋 ﾀﾛｳ")]), error_flag="2")
    assert result.accepted
    page = fetch(
        service.officer_url + UPLOAD,
        context(service.directory),
        form={"applyType": "1", "errorFlg": "2"},
        files={"file": to_tsv([application("ﾊﾅｺ", name="髙橋 ﾊﾅｺ")])},
    ).body.decode("euc_jp")
    assert "ﾊﾅｺ" in page and "&#39641;" in page  # 髙 is not in EUC-JP: a reference


def test_the_status_list_is_cp932_with_its_header(service) -> None:
    answer = fetch(service.officer_url + STATUS_LIST, context(service.directory))
    assert answer.status == 200 and answer.body.decode("cp932").startswith("主体者DN\t状態")
    assert parse_status_list(answer.body) == []


def test_a_maintenance_window_answers_503_with_a_page_in_euc_jp(tmp_path) -> None:
    now = datetime.now(UTC)
    window = Window(
        (now - timedelta(minutes=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    )
    with Mailbox() as mailbox:
        make(tmp_path / "sim", mailbox.port)
        change(tmp_path / "sim", maintenance=(window,))
        service = serve(tmp_path / "sim")
        try:
            answer = fetch(
                service.officer_url + UPLOAD,
                context(service.directory),
                form={"applyType": "1", "errorFlg": "1"},
                files={"file": to_tsv([application("X")])},
            )
            assert answer.status == 503 and "メンテナンス中" in answer.body.decode("euc_jp")
        finally:
            service.stop()
