"""Requests answered by the national service's simulator through the upki connector: the
whole path (request, batch, upload, result page, mails, one-time URLs, the file) on the
database under test."""

from __future__ import annotations

import pytest

from jitsuin import config
from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority, OcspResponse
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import CertificateStatus, Request, RequestState
from jitsuin.lifecycle.services import request_issue, request_revoke
from jitsuin.upki.models import Batch, BatchState, Line, LineState, Mail, MailState
from tests.lifecycle.conftest import key, make_person
from tests.portal.conftest import make_user_person
from tests.upki.national import state_of
from tests.upstream import sim


def _ask_as(national, uid: str):  # type: ignore[no-untyped-def]
    person = make_person(uid, email=f"{uid}@example.ac.jp")
    return request_issue(person, actor=f"user:{uid}", idempotency_key=key(), now=national.now)


# Kanji and half-width katakana: cp932 carries both; the mails come back in ISO-2022-JP(-EXT).
NAME = "山田 ﾀﾛｳ"


def test_a_request_is_issued_by_the_national_service_and_revoked_there(national):
    person = make_person("yamada", name_ja=NAME, email="yamada@example.ac.jp")
    request = request_issue(person, actor="user:yamada", idempotency_key=key(), now=national.now)
    national.tick()
    line = Line.objects.get(request_id=request.pk)
    assert line.state == LineState.QUEUED  # the batch interval has not passed
    national.until(lambda: state_of(request) == RequestState.READY)

    line.refresh_from_db()
    assert line.state == LineState.DONE and line.issued_serial
    certificate = request.certificate
    assert str(certificate.serial_int) == line.issued_serial
    assert certificate.issuer.upstream  # the service's CA: no key here, no CRL signed here
    assert certificate.subject.startswith("CN=yamada,")
    collected = AuditEvent.objects.get(action="upki.line.collected")
    assert collected.data["name"] == NAME  # cp932 out, back through the service's files
    batch = Batch.objects.get()
    assert batch.state == BatchState.ANSWERED
    assert NAME.encode("cp932") in bytes(batch.tsv)
    assert set(Mail.objects.values_list("state", flat=True)) == {MailState.MATCHED}
    # Each mail's subject, decoded from ISO-2022-JP, for the console.
    assert all(m.kind_label and m.kind_label in m.subject for m in Mail.objects.all())
    # The one-time URLs were credentials: followed, then forgotten; shown without their token.
    assert all(not bytes(m.url_sealed) for m in Mail.objects.all())
    assert Mail.objects.exclude(url_shown="").exists()
    assert not Mail.objects.filter(url_shown__contains="?").exists()
    assert not Authority.objects.online().filter(pk=certificate.issuer_id).exists()

    revoke = request_revoke(
        certificate,
        actor="user:yamada",
        idempotency_key=key(),
        reason="keyCompromise",
        now=national.now,
    )
    national.until(lambda: state_of(revoke) == RequestState.DONE)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    revoked_line = Line.objects.get(request_id=revoke.pk)
    assert revoked_line.serial == line.issued_serial and revoked_line.reason == "1"
    national.tick()  # the holder's copy of the revocation notice comes to the same inbox
    assert not Mail.objects.filter(state=MailState.UNMATCHED).exists()


def test_a_name_outside_shift_jis_is_refused_when_the_request_is_made(national):
    person = make_person("kim", name_ja="김 민준", email="kim@example.ac.jp")
    with pytest.raises(NotAllowed, match="U\\+AE40") as refused:
        request_issue(person, actor="user:kim", idempotency_key=key(), now=national.now)
    assert refused.value.code == "not_shift_jis"
    assert not Line.objects.exists()


def test_the_simulator_can_deliver_into_the_portals_maildir_for_a_rehearsal(national):
    sim.change(national.directory, maildir=str(national.maildir))
    national.restart()
    request = _ask_as(national, "rehearsal")
    national.until(lambda: state_of(request) == RequestState.READY)
    assert national.inbox.delivered == 0  # nothing went over SMTP
    assert Mail.objects.filter(state=MailState.MATCHED).count() >= 2


def test_the_services_ca_is_shown_but_never_signed_for_here(national, client):
    request = _ask_as(national, "health")
    national.until(lambda: state_of(request) == RequestState.READY)
    certificate = Request.objects.get(pk=request.pk).certificate
    health = client.get("/healthz")
    assert health.status_code == 200, health.content
    crl = client.get(f"/crl/{certificate.issuer.slug}.crl")
    assert crl.status_code in (404, 503)  # the service publishes its own
    assert not OcspResponse.objects.filter(issuer=certificate.issuer).exists()


def test_the_portal_says_the_application_is_with_the_service(national, client):
    person = make_user_person("waiting")
    request = request_issue(person, actor="user:waiting", idempotency_key=key(), now=national.now)
    national.tick()
    assert Request.objects.get(pk=request.pk).wait_reason == "upstream"
    client.force_login(person.user)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="at-upstream"' in page and "a few days" in page


def test_kanji_and_half_width_katakana_come_back_in_the_services_mails(national, monkeypatch):
    suffix = f"OU={sim.OU},O=ｼﾐｭﾚｰｼｮﾝ大学,L=Academe,C=JP"
    monkeypatch.setenv("JITSUIN_UPKI_DN_SUFFIX", suffix)
    config.current.cache_clear()
    request = _ask_as(national, "kana")
    national.until(lambda: state_of(request) == RequestState.READY)
    line = Line.objects.get(request_id=request.pk)
    assert line.dn.endswith(suffix)
    # The service's notice of the download names the DN in ISO-2022-JP(-EXT): read back whole.
    collected = Mail.objects.get(kind="COLLECTED")
    assert collected.dn == line.dn and collected.state == MailState.MATCHED
    assert Request.objects.get(pk=request.pk).certificate.subject.endswith(
        "O=ｼﾐｭﾚｰｼｮﾝ大学,L=Academe,C=JP"
    )
