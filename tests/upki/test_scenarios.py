"""What the national service does to a portal, against its simulator: duplicate mails, a
mail before the result page, maintenance in the middle, a crash between upload and result,
a lost revocation mail, a refused line retried after a fix, 212 as a renewal."""

from __future__ import annotations

import email
import time
from datetime import UTC, datetime, timedelta

from jitsuin import config
from jitsuin.console.upki_actions import retry_line
from jitsuin.lifecycle.models import Certificate, CertificateStatus, Request, RequestState
from jitsuin.lifecycle.services import collect_pickup, request_issue, request_revoke
from jitsuin.upki import batches, jobs, mail_intake
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState, Mail, MailState
from jitsuin.upstream.applications import Application, to_tsv
from jitsuin.upstream.mails import Kind, parse_mail
from jitsuin.upstream.simulator.config import Window
from tests.lifecycle.conftest import key, make_person
from tests.upki.national import applications_for, state_of
from tests.upstream import sim


def _ask(national, uid: str) -> Request:
    person = make_person(uid, name_ja=f"試験 {uid}")
    return request_issue(person, actor=f"user:{uid}", idempotency_key=key(), now=national.now)


def _ready(national, request: Request) -> None:
    national.until(lambda: state_of(request) == RequestState.READY)


def test_every_mail_delivered_twice_is_acted_on_once(national):
    national.inbox.copies = 2
    request = _ask(national, "twice")
    _ready(national, request)
    mails = list(Mail.objects.all())
    assert len(mails) == len({m.message_id for m in mails}) >= 2
    assert {m.state for m in mails} == {MailState.MATCHED}
    assert Request.objects.get(pk=request.pk).certificate is not None

    # The same notice again under another Message-ID (a resend): a duplicate, nothing done.
    raw = next(
        m.as_bytes()
        for m in national.inbox.maildir
        if (notice := parse_mail(m.as_bytes())) is not None and notice.url
    )
    resent = email.message_from_bytes(raw)
    del resent["Message-ID"]
    resent["Message-ID"] = "<resent-1@upki-sim.invalid>"
    again = mail_intake.keep(resent.as_bytes(), national.directory / "ca.pem", national.now)
    assert again is not None and again.state == MailState.DUPLICATE


def test_a_mail_that_comes_before_the_result_page(national):
    request = _ask(national, "early")
    national.tick()  # submitted: the line is queued
    national.now += timedelta(minutes=1)
    batch = batches._take(ApplyType.ISSUE, national.now)
    assert batch is not None
    officer = jobs.client(config.current().upki)
    result = officer.upload(ApplyType.ISSUE, bytes(batch.tsv))  # the page, not yet read
    national.until(lambda: Line.objects.get(request_id=request.pk).state != LineState.SENT)
    assert Batch.objects.get(pk=batch.pk).state == BatchState.UPLOADING
    batches.apply_result(batch, result, national.now)  # the page, read late, changes nothing
    assert Line.objects.get(request_id=request.pk).state in (
        LineState.ACCEPTED,
        LineState.READY,
        LineState.DONE,
    )
    _ready(national, request)


def test_a_maintenance_window_in_the_middle(national):
    start = datetime.now(UTC) - timedelta(seconds=1)
    window = Window(start.isoformat(), (start + timedelta(seconds=6)).isoformat())
    sim.change(national.directory, maintenance=(window,))
    national.restart()
    request = _ask(national, "maint")
    national.tick()
    national.tick()  # the batch is due: the service answers with its maintenance page
    not_taken = Batch.objects.get()
    assert not_taken.state == BatchState.NOT_TAKEN and "maintenance" in not_taken.error
    assert Line.objects.get(request_id=request.pk).state == LineState.QUEUED
    national.tick()
    assert Request.objects.get(pk=request.pk).wait_reason == "upstream_maintenance"
    time.sleep(6)
    _ready(national, request)
    line = Line.objects.get(request_id=request.pk)
    assert applications_for(national.directory, line.dn) == 1


def test_killed_between_upload_and_result_nothing_goes_twice(national):
    taken, never_sent = _ask(national, "taken"), _ask(national, "lost")
    national.tick()
    national.now += timedelta(minutes=1)
    batch = batches._take(ApplyType.ISSUE, national.now)
    assert batch is not None and batch.lines.count() == 2
    # The worker dies after the service took the file for one of them, before the page...
    officer = jobs.client(config.current().upki)
    line_taken = Line.objects.get(request_id=taken.pk)
    one_line = bytes(batch.tsv).split(b"\r\n")[line_taken.seq - 1] + b"\r\n"
    officer.upload(ApplyType.ISSUE, one_line)
    # ... and starts again: nothing is sent while the status list and mails cannot tell.
    _ready(national, taken)
    line_lost = Line.objects.get(request_id=never_sent.pk)
    assert (
        line_lost.state == LineState.SENT
        and applications_for(national.directory, line_lost.dn) == 0
    )
    national.tick(11 * 60)  # past JITSUIN_UPKI_UNCERTAIN_WAIT (10m here): it goes again
    _ready(national, never_sent)
    assert applications_for(national.directory, line_taken.dn) == 1
    assert applications_for(national.directory, line_lost.dn) == 1
    assert Batch.objects.get(pk=batch.pk).state == BatchState.RECONCILED


def test_a_revocation_whose_mail_is_lost_is_confirmed_by_the_status_list(national):
    national.inbox.lose = {Kind.REVOKED}
    request = _ask(national, "revoked")
    _ready(national, request)
    certificate = Request.objects.get(pk=request.pk).certificate
    revoke = request_revoke(
        certificate, actor="user:revoked", idempotency_key=key(), now=national.now
    )
    national.until(lambda: state_of(revoke) == RequestState.DONE)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert not Mail.objects.filter(kind=Kind.REVOKED.name).exists()


def test_a_refused_line_fails_its_request_and_goes_again_after_a_fix(national):
    sim.change(national.directory, allowed_ous=("別の部局",))
    national.restart()
    request = _ask(national, "ou")
    national.until(lambda: state_of(request) == RequestState.FAILED)
    failed = Request.objects.get(pk=request.pk)
    assert "371" in failed.last_error
    assert "allow-list" in failed.last_error and "許可リスト" in failed.last_error
    sim.change(national.directory, allowed_ous=(sim.OU,))
    national.restart()
    line = Line.objects.get(request_id=request.pk)
    retry_line(line.pk, actor="staff:helpdesk", reason="OU registered at the service")
    _ready(national, request)
    assert applications_for(national.directory, line.dn) == 1  # the error page took nothing


def test_the_dn_taken_becomes_a_renewal_of_its_certificate(national, monkeypatch):
    monkeypatch.setenv("JITSUIN_UPKI_DN_NUMBER", "none")
    config.current.cache_clear()
    first = _ask(national, "renewer")
    _ready(national, first)
    done = Request.objects.get(pk=first.pk)
    collect_pickup(done.pickup, actor="user:renewer")
    old, person = done.certificate, done.person
    second = request_issue(person, actor="user:renewer", idempotency_key=key(), now=national.now)
    _ready(national, second)
    line = Line.objects.get(request_id=second.pk)
    assert line.apply_type == ApplyType.RENEW and line.error_code == "212"
    assert line.serial == str(old.serial_int)
    assert Mail.objects.filter(kind=Kind.RENEWED.name, state=MailState.MATCHED).exists()


def test_a_certificate_revoked_at_the_service_is_revoked_here_too(national, monkeypatch):
    monkeypatch.setenv("JITSUIN_UPKI_STATUS_INTERVAL", "1m")
    config.current.cache_clear()
    request = _ask(national, "elsewhere")
    _ready(national, request)
    certificate = Request.objects.get(pk=request.pk).certificate
    line = Line.objects.get(request_id=request.pk)
    # The officer revokes it with the service's own form, not through the portal.
    revoke_line = Application(
        dn=line.dn, serial=line.issued_serial, reason="1", admin_email=sim.PORTAL
    )
    officer = jobs.client(config.current().upki)
    assert officer.upload(ApplyType.REVOKE, to_tsv([revoke_line])).accepted
    national.until(
        lambda: Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.REVOKED
    )
    revoke = Request.objects.get(kind="revoke", target=certificate)
    assert revoke.state == RequestState.DONE and revoke.requested_by == "system:upki"
    assert Line.objects.get(request_id=revoke.pk).batch is None  # nothing sent: it was done
    assert applications_for(national.directory, line.dn) == 2  # the issue and the officer's
