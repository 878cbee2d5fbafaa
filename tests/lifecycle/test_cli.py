"""The lifecycle CLI: user add, issue --wait, revoke, requests, request show/retry/cancel."""

from __future__ import annotations

import io
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jitsuin.lifecycle.models import Certificate, CertificateStatus, Person, Request, RequestState
from jitsuin.pki.pkcs12 import load_pkcs12
from tests.chaos.connector import chaos


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def carol(ca_hierarchy):
    run("user", "add", "carol", "--email", "carol@example.ac.jp", "--name", "Carol Sato")
    return Person.objects.get(uid="carol")


def test_user_add_and_duplicate(carol):
    assert carol.email == "carol@example.ac.jp" and carol.name_en == "Carol Sato"
    with pytest.raises(CommandError, match="exists"):
        run("user", "add", "carol", "--email", "x@example.ac.jp")


def test_user_add_keeps_the_reading_in_katakana(ca_hierarchy):
    run("user", "add", "dan", "--email", "dan@example.ac.jp", "--name-ja", "東海林 段")
    run("user", "add", "eri", "--email", "e@example.ac.jp", "--name-kana", "しょうじ えり")
    assert Person.objects.get(uid="dan").name_kana == ""
    assert Person.objects.get(uid="eri").name_kana == "ショウジ エリ"


def test_issue_wait_saves_the_pkcs12_and_the_pin(carol, tmp_path):
    out_file, pin_file = tmp_path / "carol.p12", tmp_path / "pin.txt"
    text = run("issue", "carol", "--wait", "--out", str(out_file), "--pin-file", str(pin_file))
    assert "ready" in text and "PIN:" not in text
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    pin = pin_file.read_text().strip()
    contents = load_pkcs12(out_file.read_bytes(), pin)
    assert contents.certificate.serial_number == Certificate.objects.get().serial_int


def test_issue_prints_the_pin_without_pin_file(carol, tmp_path):
    text = run("issue", "carol", "--wait", "--pkcs12", "modern", "--out", str(tmp_path / "c.p12"))
    assert "PIN: " in text and "(modern" in text


def test_issue_without_wait_queues(carol):
    text = run("issue", "carol")
    assert "queued" in text
    assert Request.objects.get().state == RequestState.QUEUED


def test_revoke_by_serial_and_by_user(carol, tmp_path):
    run("issue", "carol", "--wait", "--out", str(tmp_path / "c.p12"))
    certificate = Certificate.objects.get()
    colon_serial = ":".join(f"{certificate.serial_int:x}"[i : i + 2] for i in range(0, 8, 2))
    with pytest.raises(CommandError):
        run("revoke", colon_serial)  # a prefix is not a serial
    text = run("revoke", certificate.serial, "--reason", "keyCompromise", "--wait")
    assert "done" in text
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "keyCompromise"
    assert "no valid certificates" in run("revoke", "--user", "carol")


def test_requests_table_and_request_show_retry_cancel(carol):
    with chaos(fail="reject"):
        with pytest.raises(CommandError, match="failed"):
            run("issue", "carol", "--wait", "--timeout", "5s")
    request = Request.objects.get()
    table = run("requests", "--state", "failed")
    assert table.splitlines()[0].split()[:3] == ["ID", "KIND", "STATE"]
    assert f"{request.pk}" in table and "failed" in table
    shown = run("request", "show", str(request.pk))
    assert "history:" in shown and "-> failed" in shown and "refusal" in shown
    assert "queued" in run("request", "retry", str(request.pk), "--reason", "fixed")
    assert "cancelled" in run("request", "cancel", str(request.pk), "--reason", "not needed")
    with pytest.raises(CommandError, match="invalid_transition"):
        run("request", "cancel", str(request.pk), "--reason", "again")
    assert "cancelled" in run("request", "list", "--user", "carol")


def test_issue_again_saves_the_certificate_waiting_for_pickup(carol, tmp_path):
    from jitsuin.lifecycle.pipeline import advance

    run("issue", "carol")
    advance(Request.objects.get().pk)  # a worker did it meanwhile
    text = run("issue", "carol", "--out", str(tmp_path / "c.p12"))
    assert "ready" in text and (tmp_path / "c.p12").exists()
    assert Request.objects.count() == 1
