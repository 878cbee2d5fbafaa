"""The officer's client against the simulator: a bulk issuance uploaded through the login and
menu pages, the PIN ZIP and the certificate ZIP fetched from the mails' one-time URLs (once),
the status list, and the failures sorted into unavailable, maintenance and refused."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from jitsuin.pki.pkcs12 import load_pkcs12
from jitsuin.upstream import client as client_module
from jitsuin.upstream import transport
from jitsuin.upstream.applications import Application, ApplyType, to_tsv
from jitsuin.upstream.client import (
    OfficerClient,
    UpstreamMaintenance,
    UpstreamRefused,
    UpstreamUnavailable,
    fetch_bulk,
    fetch_pins,
    officer_context,
)
from jitsuin.upstream.forms import read_page
from jitsuin.upstream.mails import Kind, Notice
from jitsuin.upstream.results import DN_EXISTS
from jitsuin.upstream.simulator import config, officer
from jitsuin.upstream.simulator.config import Window
from jitsuin.upstream.smime import verify_signed_mail
from jitsuin.upstream.status_list import State
from tests.upstream.sim import change, context, make, serve
from tests.upstream.test_simulator_upload import application

PIN = "Pin4Bulk9"


def _bulk(cn: str = "ﾔﾏﾀﾞ ﾀﾛｳ") -> Application:
    return Application(**{**application(cn).__dict__, "download_method": "2", "access_pin": PIN})


def _officer(service) -> OfficerClient:
    d = service.directory
    tls = officer_context(
        d / config.CA_CERT_FILE, d / config.OFFICER_CERT_FILE, d / config.OFFICER_KEY_FILE
    )
    return OfficerClient(service.officer_url, tls, timeout=5.0)


def _url(notices: list[Notice], kind: Kind) -> str:
    (notice,) = [n for n in notices if n.kind is kind]
    return notice.url.replace("localhost", "127.0.0.1")  # the simulator listens on IPv4 only


def test_a_bulk_issuance_from_upload_to_the_status_list(service, mailbox, tmp_path) -> None:
    officer_client, public = _officer(service), context(service.directory, officer=False)
    bulk = _bulk()
    result = officer_client.upload(ApplyType.ISSUE, to_tsv([bulk]))
    assert result.accepted and [(line.seq, line.ok) for line in result.lines] == [(1, True)]

    notices = mailbox.wait_for(2)
    for raw in mailbox.handler.received:  # as sent over SMTP, signed under the service's CA
        verify_signed_mail(raw, service.directory / config.CA_CERT_FILE)
    pin_url, bulk_url = _url(notices, Kind.ACCESS_PIN), _url(notices, Kind.ISSUE_ACCEPTED)
    with pytest.raises(UpstreamRefused) as early:
        fetch_bulk(bulk_url, context=public)
    assert early.value.status == 403 and "アクセスPIN" in early.value.message

    (line,) = fetch_pins(pin_url, context=public)
    assert (line.name, line.email, line.pin, line.dn) == (
        bulk.user_name,
        bulk.user_email,
        PIN,
        bulk.dn,
    )
    assert PIN not in repr(line)

    got = fetch_bulk(bulk_url, context=public)
    certificate = load_pkcs12(got.p12, line.pin).certificate
    assert got.serial == str(certificate.serial_number)
    assert (got.name, got.email, got.dn, got.p12_name) == (
        bulk.user_name,
        bulk.user_email,
        bulk.dn,
        bulk.pkcs12_name,
    )
    assert certificate.subject.rfc4514_string() == bulk.dn

    for fetch_again, url in ((fetch_bulk, bulk_url), (fetch_pins, pin_url)):
        with pytest.raises(UpstreamRefused) as used:
            fetch_again(url, context=public)
        assert used.value.status == 410 and "済み" in used.value.message

    entries = officer_client.status_list()
    assert [(e.state, e.serial, e.dn) for e in entries] == [(State.ISSUED, got.serial, bulk.dn)]

    duplicate = officer_client.upload(ApplyType.ISSUE, to_tsv([bulk]))
    assert not duplicate.accepted and duplicate.lines[0].code == DN_EXISTS

    _a_holders_certificate_is_refused_by_the_officers_pages(service, got.p12, line.pin, tmp_path)


def _a_holders_certificate_is_refused_by_the_officers_pages(service, p12, pin, tmp_path) -> None:
    """Same CA, so the handshake passes; the officer's pages answer 403: unavailable (the
    configuration is wrong), not a one-time URL's refusal."""
    contents = load_pkcs12(p12, pin)
    (tmp_path / "holder.pem").write_bytes(contents.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "holder-key.pem").write_bytes(
        contents.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    d = service.directory
    tls = officer_context(
        d / config.CA_CERT_FILE, tmp_path / "holder.pem", tmp_path / "holder-key.pem"
    )
    with pytest.raises(UpstreamUnavailable) as refused:
        OfficerClient(service.officer_url, tls, timeout=5.0).status_list()
    assert refused.value.status == 403 and "登録担当者" in str(refused.value)


def test_skipping_bad_lines_takes_the_good_ones(service) -> None:
    good, bad = _bulk("A"), Application(**{**_bulk("B").__dict__, "dn": "not a DN"})
    stopped = _officer(service).upload(ApplyType.ISSUE, to_tsv([good, bad]))
    assert not stopped.accepted and _officer(service).status_list() == []
    skipped = _officer(service).upload(ApplyType.ISSUE, to_tsv([good, bad]), stop_on_error=False)
    assert skipped.accepted and [line.ok for line in skipped.lines] == [True, False]


def test_a_maintenance_window_is_upstream_maintenance_everywhere(tmp_path, mailbox) -> None:
    now = datetime.now(UTC)
    window = Window(
        (now - timedelta(minutes=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    )
    make(tmp_path / "sim", mailbox.port)
    change(tmp_path / "sim", maintenance=(window,))
    service = serve(tmp_path / "sim")
    try:
        with pytest.raises(UpstreamMaintenance) as during:
            _officer(service).upload(ApplyType.ISSUE, to_tsv([_bulk()]))
        assert during.value.status == 503 and "メンテナンス" in str(during.value)
        with pytest.raises(UpstreamMaintenance):
            _officer(service).status_list()
        url = (
            f"https://127.0.0.1:{service.public_port}/upki-odcert/download/SPEntranceCliPin.jsp?t=x"
        )
        with pytest.raises(UpstreamMaintenance):
            fetch_pins(url, context=context(service.directory, officer=False))
    finally:
        service.stop()


def test_a_stopped_service_is_unavailable(service) -> None:
    officer_client = _officer(service)
    service.stop()
    with pytest.raises(UpstreamUnavailable) as refused:
        officer_client.status_list()
    assert not isinstance(refused.value, UpstreamMaintenance)
    assert "cannot be reached" in str(refused.value)
    with pytest.raises(UpstreamUnavailable):
        fetch_pins(
            f"https://127.0.0.1:{service.public_port}/x",
            context=context(service.directory, officer=False),
        )


def test_without_the_officers_certificate_the_client_is_unavailable_not_refused(service) -> None:
    anonymous = OfficerClient(service.officer_url, context(service.directory, officer=False), 5.0)
    with pytest.raises(UpstreamUnavailable):
        anonymous.status_list()


def test_an_unknown_one_time_url_is_refused_with_the_pages_text(service) -> None:
    url = f"https://127.0.0.1:{service.public_port}/upki-odcert/download/SPEntranceCliAll.jsp?t=no"
    with pytest.raises(UpstreamRefused) as invalid:
        fetch_bulk(url, context=context(service.directory, officer=False))
    assert (invalid.value.status, invalid.value.message) == (404, "このURLは無効です。")
    with pytest.raises(ValueError):
        fetch_bulk(url.replace("https", "http"), context=context(service.directory))


def test_an_answer_over_the_cap_is_not_read(service, monkeypatch) -> None:
    monkeypatch.setattr(transport, "MAX_BODY_BYTES", 64)
    with pytest.raises(UpstreamUnavailable, match="bigger than 64 bytes"):
        _officer(service).status_list()


def test_a_zip_bomb_is_refused_unexpanded() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pin.txt", b"\0" * (client_module.MAX_MEMBER_BYTES + 1))
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(UpstreamUnavailable, match="ZIP member"):
        client_module._members(buffer.getvalue())
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(client_module.MAX_MEMBERS + 1):
            archive.writestr(f"{number}.txt", b"")
    with pytest.raises(UpstreamUnavailable, match="files"):
        client_module._members(many.getvalue())


def test_the_clients_paths_are_the_simulators() -> None:
    assert (client_module.LOGIN, client_module.STATUS_LIST) == (officer.LOGIN, officer.STATUS_LIST)
    assert client_module.UPLOAD_FORM == officer.UPLOAD_MENU_ID


def test_the_form_reader_takes_action_hidden_fields_frames_and_the_message() -> None:
    page = read_page(
        '<html><head><title>題</title></head><body><frameset><frame src="/m.do"></frameset>'
        '<p>  このURLの有効期限が切れています。 </p><form name="F" method="POST" action="/a&amp;b">'
        '<input type="hidden" name="t" value="x&quot;y"><input type="text" name="q" value="no">'
        "</form></body></html>".encode("euc_jp")
    )
    form = page.form("F")
    assert form is not None and (form.action, form.method, form.hidden) == (
        "/a&b",
        "post",
        {"t": 'x"y'},
    )
    assert page.frames == ["/m.do"] and page.paragraphs == ["このURLの有効期限が切れています。"]
    assert page.form("G") is None and "題" not in page.text
