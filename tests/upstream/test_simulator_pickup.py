"""The CA operator's side of the simulator: after the delay the notices go out over SMTP
(ISO-2022-JP), the access PIN comes as a ZIP behind two form steps, the PKCS#12 only after
that, opening with the PIN and chaining to the simulator's CA; the collected, renewed and
revoked notices; the CRL; a restart loses nothing; a second click does not break issuance."""

from __future__ import annotations

import io
import re
import subprocess
import threading
import time
import zipfile
from email import message_from_bytes, policy
from html import unescape

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from jitsuin.pki.pkcs12 import load_pkcs12
from jitsuin.upstream.applications import Application, to_tsv
from jitsuin.upstream.mails import SIGNATURE_TYPE, Kind, Notice, parse_mail
from jitsuin.upstream.simulator import config
from jitsuin.upstream.simulator.officer import STATUS_LIST, UPLOAD
from jitsuin.upstream.status_list import State
from jitsuin.upstream.status_list import parse_tsv as parse_status_list
from tests.upstream.sim import PORTAL, Mailbox, change, context, fetch, make, serve
from tests.upstream.test_simulator_upload import application

DN = "CN=ﾔﾏﾀﾞ ﾀﾛｳ,OU=001,OU=情報環境機構,O=Example University,L=Kyoto,C=JP"
NAME = "山田 ﾀﾛｳ"


def _form(page: bytes) -> tuple[str, dict[str, str]]:
    text = page.decode("euc_jp")
    action = re.search(r'<form[^>]*action="([^"]+)"', text)
    assert action, text
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', text))
    return unescape(action.group(1)), {k: unescape(v) for k, v in fields.items()}


def _submit(base: str, page: bytes, tls):
    action, fields = _form(page)
    return fetch(base + action, tls, form=fields)


def _of(notices: list[Notice], kind: Kind) -> list[Notice]:
    return [n for n in notices if n.kind is kind]


def _upload(service, lines: list[Application], apply_type: str = "1") -> None:
    answer = fetch(
        service.officer_url + UPLOAD,
        context(service.directory),
        form={"applyType": apply_type, "errorFlg": "1"},
        files={"file": to_tsv(lines)},
    )
    assert "ファイルのアップロード処理が完了しました" in answer.body.decode("euc_jp")


def _status(service) -> dict[str, tuple[State, str]]:
    answer = fetch(service.officer_url + STATUS_LIST, context(service.directory))
    return {e.serial or e.dn: (e.state, e.dn) for e in parse_status_list(answer.body)}


def _pin(service, notice: Notice) -> str:
    tls = context(service.directory, officer=False)
    base = f"https://127.0.0.1:{service.public_port}"
    entrance = fetch(notice.url, tls)
    second = _submit(base, entrance.body, tls)
    archive = _submit(base, second.body, tls)
    assert archive.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.body)) as zipped:
        (name,) = zipped.namelist()
        header, line = zipped.read(name).decode("cp932").splitlines()
    assert header.split("\t")[2] == "アクセスPIN"
    name_, email, pin, dn = line.split("\t")
    assert (name_, dn) == (NAME, DN)
    return pin


def _p12(service, notice: Notice) -> bytes:
    tls = context(service.directory, officer=False)
    page = fetch(notice.url, tls)
    assert page.status == 200, page.body.decode("euc_jp")
    answer = _submit(f"https://127.0.0.1:{service.public_port}", page.body, tls)
    assert answer.content_type == "application/x-pkcs12"
    return answer.body


def _holder() -> Application:
    return Application(**{**application("x").__dict__, "dn": DN, "user_name": NAME})


def _a_holders_certificate_is_not_the_officers(service, contents, tmp_path) -> None:
    """Same CA, so the handshake passes; the officer's pages still refuse it."""
    (tmp_path / "holder.pem").write_bytes(contents.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "holder-key.pem").write_bytes(
        contents.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    tls = context(service.directory, officer=False)
    tls.load_cert_chain(str(tmp_path / "holder.pem"), str(tmp_path / "holder-key.pem"))
    assert fetch(service.officer_url + STATUS_LIST, tls).status == 403


def test_issue_pin_download_collect_renew_and_revoke(service, mailbox, tmp_path) -> None:
    ca = x509.load_pem_x509_certificate((service.directory / config.CA_CERT_FILE).read_bytes())
    _upload(service, [_holder()])
    notices = mailbox.wait_for(2)
    (pin_notice,) = _of(notices, Kind.ACCESS_PIN)
    (accepted,) = _of(notices, Kind.ISSUE_ACCEPTED)
    assert {status[0] for status in _status(service).values()} == {State.WAITING_FOR_PICKUP}

    refused = fetch(accepted.url, context(service.directory, officer=False))
    assert refused.status == 403  # the PKCS#12 waits for the PIN step
    pin = _pin(service, pin_notice)
    contents = load_pkcs12(_p12(service, accepted), pin)
    certificate = contents.certificate
    assert certificate.subject.rfc4514_string() == DN
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    certificate.verify_directly_issued_by(ca)

    _a_holders_certificate_is_not_the_officers(service, contents, tmp_path)

    (collected,) = _of(mailbox.wait_for(3), Kind.COLLECTED)
    assert (collected.dn, collected.serial) == (DN, str(certificate.serial_number))
    assert _status(service)[collected.serial][0] is State.ISSUED

    renewal = Application(**{**_holder().__dict__, "serial": collected.serial})
    _upload(service, [renewal], apply_type="2")
    notices = mailbox.wait_for(5)
    new_pin = _pin(service, _of(notices, Kind.ACCESS_PIN)[1])
    renewed_p12 = _p12(service, _of(notices, Kind.ISSUE_ACCEPTED)[1])
    new_serial = str(load_pkcs12(renewed_p12, new_pin).certificate.serial_number)
    (renewed,) = _of(mailbox.wait_for(6), Kind.RENEWED)
    assert (renewed.serial, renewed.old_serial) == (new_serial, collected.serial)
    assert _status(service)[new_serial][0] is State.RENEWED

    revocation = Application(
        dn=DN,
        serial=collected.serial,
        reason="0",
        admin_email=_holder().admin_email,
        user_email=_holder().user_email,
    )
    _upload(service, [revocation], apply_type="3")
    revoked = _of(mailbox.wait_for(8), Kind.REVOKED)
    assert {(n.dn, n.serial) for n in revoked} == {(DN, collected.serial)}
    assert _status(service)[collected.serial] == (State.REVOKED, DN)  # cp932, katakana intact
    again = fetch(
        service.officer_url + UPLOAD,
        context(service.directory),
        form={"applyType": "1", "errorFlg": "1"},
        files={"file": to_tsv([_holder()])},
    )
    assert "212:1,主体者DN" in again.body.decode("euc_jp")  # revoked DNs are taken too
    crl = fetch(
        f"https://127.0.0.1:{service.public_port}/crl", context(service.directory, officer=False)
    )
    listed = x509.load_der_x509_crl(crl.body)
    assert listed.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert listed.get_revoked_certificate_by_serial_number(int(collected.serial)) is not None


def test_a_one_time_url_serves_once(service, mailbox) -> None:
    _upload(service, [_holder()])
    notices = mailbox.wait_for(2)
    pin_notice = _of(notices, Kind.ACCESS_PIN)[0]
    _pin(service, pin_notice)
    again = fetch(pin_notice.url, context(service.directory, officer=False))
    assert again.status == 410
    accepted = _of(notices, Kind.ISSUE_ACCEPTED)[0]
    _p12(service, accepted)
    assert fetch(accepted.url, context(service.directory, officer=False)).status == 410


def _two_clicks(service, notice: Notice) -> list[int | bytes]:
    tls = context(service.directory, officer=False)
    action, fields = _form(fetch(notice.url, tls).body)
    url = f"https://127.0.0.1:{service.public_port}{action}"
    answers: list[int | bytes] = []

    def click() -> None:
        answer = fetch(url, tls, form=fields)
        answers.append(answer.body if answer.status == 200 else answer.status)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    return answers


def test_a_second_click_while_the_key_is_made_gets_the_same_file(tmp_path, mailbox) -> None:
    make(tmp_path / "sim", mailbox.port, key_generation_delay=0.5)
    service = serve(tmp_path / "sim")
    try:
        _second_click_gets_the_same_file(service, mailbox)
    finally:
        service.stop()


def _second_click_gets_the_same_file(service, mailbox) -> None:
    _upload(service, [_holder()])
    notices = mailbox.wait_for(2)
    pin = _pin(service, _of(notices, Kind.ACCESS_PIN)[0])
    first, second = _two_clicks(service, _of(notices, Kind.ISSUE_ACCEPTED)[0])
    assert first == second and isinstance(first, bytes)
    load_pkcs12(first, pin)
    assert len(_of(mailbox.wait_for(3), Kind.COLLECTED)) == 1


def test_the_break_flag_reproduces_the_real_service_breaking_on_a_second_click(
    tmp_path, mailbox
) -> None:
    make(tmp_path / "sim", mailbox.port)
    change(tmp_path / "sim", break_on_second_click=True, key_generation_delay=0.5)
    service = serve(tmp_path / "sim")
    try:
        _upload(service, [_holder()])
        notices = mailbox.wait_for(2)
        _pin(service, _of(notices, Kind.ACCESS_PIN)[0])
        answers = _two_clicks(service, _of(notices, Kind.ISSUE_ACCEPTED)[0])
        assert answers == [409, 409]  # neither click gets a certificate
        time.sleep(0.3)
        assert _status(service) == {}  # a broken issuance is not listed
        assert len(mailbox.handler.received) == 2  # and no collected notice
    finally:
        service.stop()


def test_a_restart_loses_no_application(tmp_path, mailbox) -> None:
    make(tmp_path / "sim", mailbox.port)
    change(tmp_path / "sim", issue_delay=1.0)
    service = serve(tmp_path / "sim")
    _upload(service, [_holder()])
    service.stop()
    assert mailbox.handler.received == []
    service = serve(tmp_path / "sim")
    try:
        notices = mailbox.wait_for(2)
        assert {n.kind for n in notices} == {Kind.ACCESS_PIN, Kind.ISSUE_ACCEPTED}
        assert _status(service)  # the waiting certificate is listed after the restart
    finally:
        service.stop()


def test_mails_wait_in_the_outbox_while_the_smtp_server_is_down(tmp_path) -> None:
    with Mailbox() as gone:
        port = gone.port
    make(tmp_path / "sim", port)
    service = serve(tmp_path / "sim")
    try:
        _upload(service, [_holder()])
        time.sleep(0.6)  # processed (the delay is 0.2 s), the SMTP server still down
        assert [state for state, _dn in _status(service).values()] == [State.WAITING_FOR_PICKUP]
        with Mailbox(port) as back:
            notices = back.wait_for(2)
        assert {n.kind for n in notices} == {Kind.ACCESS_PIN, Kind.ISSUE_ACCEPTED}
    finally:
        service.stop()


def test_the_users_mail_is_iso_2022_jp_and_keeps_kanji_and_half_width_katakana(
    service, mailbox
) -> None:
    _upload(service, [_holder()])
    mailbox.wait_for(2)
    by_kind = {parse_mail(raw).kind: raw for raw in mailbox.handler.received}  # type: ignore[union-attr]
    mail = message_from_bytes(by_kind[Kind.ISSUE_ACCEPTED], policy=policy.default)
    assert mail["From"] == "ca-support@upki-sim.invalid"
    assert mail["To"] == _holder().user_email
    text = mail.get_body(preferencelist=("plain",))
    assert text.get_content_charset() == "iso-2022-jp"
    assert f"{NAME} 様" in text.get_payload(decode=True).decode("iso2022_jp_ext")


@pytest.mark.peers
def test_the_mails_are_s_mime_signed_by_the_support_address_under_the_simulators_ca(
    service, mailbox, tmp_path
) -> None:
    _upload(service, [_holder()])
    for number, raw in enumerate(mailbox.wait_for(2) and mailbox.handler.received):
        mail = message_from_bytes(raw, policy=policy.default)
        assert mail.get_content_type() == "multipart/signed"
        assert b"\r\nContent-Type: " + SIGNATURE_TYPE.encode() + b"\r\n" in raw  # as Kyoto checks
        (tmp_path / f"{number}.eml").write_bytes(raw)
        checked = subprocess.run(
            ["openssl", "smime", "-verify", "-in", str(tmp_path / f"{number}.eml"),
             "-CAfile", str(service.directory / config.CA_CERT_FILE),
             "-signer", str(tmp_path / "signer.pem"), "-out", str(tmp_path / "text")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        signer = x509.load_pem_x509_certificate((tmp_path / "signer.pem").read_bytes())
        san = signer.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.RFC822Name) == ["ca-support@upki-sim.invalid"]


def test_a_mail_refused_for_good_blocks_no_other(service, mailbox) -> None:
    mailbox.handler.unknown.add("gone@example.ac.jp")
    gone = Application(**{**_holder().__dict__, "user_email": "gone@example.ac.jp"})
    other = Application(
        **{**_holder().__dict__, "dn": DN.replace("ﾀﾛｳ", "ﾊﾅｺ"), "user_email": "h@example.ac.jp"}
    )
    _upload(service, [gone, other])
    notices = mailbox.wait_for(3)
    assert len(_of(notices, Kind.ACCESS_PIN)) == 2 and len(_of(notices, Kind.ISSUE_ACCEPTED)) == 1


def test_an_expired_one_time_url_serves_nothing(tmp_path, mailbox) -> None:
    make(tmp_path / "sim", mailbox.port, url_validity_days=0)
    service = serve(tmp_path / "sim")
    try:
        _upload(service, [_holder()])
        notices = mailbox.wait_for(2)
        for notice in notices:
            assert fetch(notice.url, context(service.directory, officer=False)).status == 410
    finally:
        service.stop()


def test_bulk_download_gives_the_portal_a_zip_with_client_txt_and_the_p12(service, mailbox) -> None:
    bulk = Application(**{**_holder().__dict__, "download_method": "2", "access_pin": "Pin4Bulk9"})
    _upload(service, [bulk])
    notices = mailbox.wait_for(2)
    (pin_notice,) = _of(notices, Kind.ACCESS_PIN)
    (accepted,) = _of(notices, Kind.ISSUE_ACCEPTED)
    assert "SPEntranceCliAllPin.jsp" in pin_notice.url and "SPEntranceCliAll.jsp" in accepted.url
    to = {message_from_bytes(raw)["To"] for raw in mailbox.handler.received}
    assert to == {PORTAL}  # both to the administrator: the portal collects
    assert _pin(service, pin_notice) == "Pin4Bulk9"  # column 15's PIN, bulk only

    tls = context(service.directory, officer=False)
    base = f"https://127.0.0.1:{service.public_port}"
    second = _submit(base, fetch(accepted.url, tls).body, tls)
    archive = _submit(base, second.body, tls)
    assert archive.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.body)) as zipped:
        header, line = zipped.read("client.txt").decode("cp932").splitlines()
        p12 = zipped.read(f"{bulk.pkcs12_name}.p12")
    serial, name, email, dn = line.split("\t")
    certificate = load_pkcs12(p12, "Pin4Bulk9").certificate
    assert (serial, name, email, dn) == (str(certificate.serial_number), NAME, bulk.user_email, DN)
    (collected,) = _of(mailbox.wait_for(3), Kind.COLLECTED)
    assert collected.serial == serial
