"""The national service in the console: the summary and batches, a batch's lines and the file
that was sent, a refused line sent again after a fix, and the service's mails without the
secret of their one-time links."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.config import current
from jitsuin.config.upki import UpkiConfig
from jitsuin.console.templatetags import console_tags
from jitsuin.console.upki_actions import retry_line
from jitsuin.lifecycle.errors import InvalidState
from jitsuin.lifecycle.models import Request, RequestTransition
from jitsuin.upki import one_time_urls
from jitsuin.upki.models import (
    ApplyType,
    Batch,
    BatchState,
    Line,
    LineState,
    Mail,
    MailState,
)
from jitsuin.upki.one_time_urls import shown_url
from tests.notify import factories
from tests.staff_fixtures import sign_in, staff

pytestmark = pytest.mark.django_db

DN = "CN=s2410001,OU=情報環境機構,O=試験大学,L=Academe,C=JP"
TSV = "1\tCN=s2410001,OU=情報環境機構,O=試験大学,L=Academe,C=JP\t5\t山田 太郎\r\n".encode("cp932")
SECRET = "token=3f9a7c1e5b2d"
ONE_TIME_URL = f"https://certs.upki.example/cgi-bin/download?{SECRET}&id=77"
REFUSAL = "O= of the DN is not the institution"


def make_batch(*, state: str = BatchState.ANSWERED, ago: timedelta = timedelta(0), **fields):
    now = timezone.now() - ago
    return Batch.objects.create(
        apply_type=ApplyType.ISSUE,
        state=state,
        tsv=TSV,
        created_at=now,
        answered_at=now if state != BatchState.UPLOADING else None,
        **fields,
    )


def make_line(request_id: int, state: str, *, batch=None, seq=None, dn=DN, **fields):
    now = timezone.now()
    finished = now if state in (LineState.DONE, LineState.FAILED) else None
    return Line.objects.create(
        request_id=request_id,
        apply_type=ApplyType.ISSUE,
        state=state,
        batch=batch,
        seq=seq,
        dn=dn,
        profile_id="5",
        user_email="taro@example.ac.jp",
        created_at=now,
        updated_at=now,
        finished_at=finished,
        **fields,
    )


def refused_request():
    """A request the pipeline failed because the service refused its line (as the connector
    says it), with that line in an answered batch."""
    item = factories.request(
        factories.person(),
        at=timezone.now() - timedelta(hours=2),
        state="failed",
        last_error=f"national service refused the application: E0101: {REFUSAL}",
    )
    batch = make_batch()
    line = make_line(
        item.pk, LineState.FAILED, batch=batch, seq=1, error_code="E0101", error=REFUSAL
    )
    return item, batch, line


def make_mail(message_id: str, state: str, **fields):
    url = fields.pop("url", "")
    fields.update(
        url_sealed=one_time_urls.sealed(url, message_id),
        url_hash=one_time_urls.fingerprint(url),
        url_shown=one_time_urls.shown_url(url),
    )
    return Mail.objects.create(
        message_id=message_id,
        kind=fields.pop("kind", "DOWNLOAD"),
        subject=fields.pop("subject", "証明書発行のお知らせ"),
        state=state,
        received_at=timezone.now(),
        **fields,
    )


def test_national_service_page_sums_up_lines_mails_batches_and_maintenance(helpdesk):
    now = timezone.now()
    batch = make_batch()
    for number, state in enumerate(
        [LineState.QUEUED, LineState.QUEUED, LineState.SENT, LineState.ACCEPTED, LineState.READY]
    ):
        make_line(9000 + number, state, batch=batch, seq=number + 1, dn=f"CN=u{number},C=JP")
    make_line(9100, LineState.FAILED, batch=batch, seq=9, dn="CN=f,C=JP", error="NG")
    old = make_line(9101, LineState.FAILED, dn="CN=old,C=JP")
    Line.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=40))
    make_mail("<a@upki>", MailState.UNMATCHED)
    make_mail("<b@upki>", MailState.UNTRUSTED)
    make_mail("<c@upki>", MailState.MATCHED)
    maintenance = make_batch(
        state=BatchState.NOT_TAKEN,
        error="maintenance: the service is in maintenance",
        ago=timedelta(hours=3),
    )

    response = helpdesk.get(reverse("console:upki"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.queued, summary.sent, summary.accepted) == (2, 1, 1)
    assert summary.collected == 1
    assert summary.failed == 1  # the one of 40 days ago is left out
    assert summary.mails_not_matched == 2
    assert summary.last_batch.pk == batch.pk  # the newest (the maintenance one is older)
    assert summary.last_maintenance == maintenance.answered_at
    assert summary.in_maintenance is False  # three hours ago: the hold is over
    page = response.content.decode()
    assert "maintenance page at" in page
    rows = dict((b.pk, counts) for b, counts in response.context["rows"])
    # sent, accepted, ready, done, failed, queued
    assert rows[batch.pk] == [1, 1, 1, 0, 1, 2]
    assert [b.pk for b, _ in response.context["rows"]] == [batch.pk, maintenance.pk]
    assert reverse("console:upki_batch", args=[batch.pk]) in page
    assert "the service is in maintenance" in page


def test_batches_are_paginated_by_fifty(helpdesk):
    for minutes in range(51):
        make_batch(ago=timedelta(minutes=minutes))
    first = helpdesk.get(reverse("console:upki"))
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next()
    second = helpdesk.get(reverse("console:upki"), {"page": 2})
    assert len(second.context["rows"]) == 1


def test_the_navigation_links_the_page_only_when_the_service_is_configured(helpdesk, monkeypatch):
    link = reverse("console:upki")
    assert link not in helpdesk.get(reverse("console:dashboard")).content.decode()
    configured = dataclasses.replace(current(), upki=UpkiConfig(url="https://upki.example"))
    monkeypatch.setattr(console_tags, "current", lambda: configured)
    assert link in helpdesk.get(reverse("console:dashboard")).content.decode()


def test_batch_page_lists_its_lines_and_offers_a_retry_for_failed_ones_only(helpdesk):
    item, batch, failed = refused_request()
    accepted = make_line(item.pk + 1000, LineState.ACCEPTED, batch=batch, seq=2, dn="CN=b,C=JP")
    response = helpdesk.get(
        reverse("console:upki_batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert DN in page and REFUSAL in page and "E0101" in page
    assert reverse("console:request", args=[item.pk]) in page
    assert reverse("console:upki_line_retry", args=[failed.pk]) in page
    assert reverse("console:upki_line_retry", args=[accepted.pk]) not in page
    assert 'name="reason" required' in page and "csrfmiddlewaretoken" in page
    assert reverse("console:upki_batch_tsv", args=[batch.pk]) in page


def test_the_operator_sees_the_batch_without_the_retry_form(operator):
    _item, batch, failed = refused_request()
    page = operator.get(reverse("console:upki_batch", args=[batch.pk])).content.decode()
    assert DN in page
    assert reverse("console:upki_line_retry", args=[failed.pk]) not in page


def test_the_download_is_the_exact_file_that_was_sent(helpdesk):
    _item, batch, _line = refused_request()
    response = helpdesk.get(reverse("console:upki_batch_tsv", args=[batch.pk]))
    assert response.status_code == 200
    assert response.content == bytes(Batch.objects.get(pk=batch.pk).tsv) == TSV
    assert response["Content-Type"] == "text/tab-separated-values; charset=Shift_JIS"
    assert response["Content-Disposition"] == (
        f'attachment; filename="upki-batch-{batch.pk}-issue.tsv"'
    )


def test_retry_queues_the_line_again_audits_it_and_puts_the_request_back_in_the_queue():
    item, batch, line = refused_request()
    retried = retry_line(line.pk, actor="staff:hd1", reason="O= corrected at the service")

    line.refresh_from_db()
    assert retried.pk == line.pk and line.state == LineState.QUEUED
    assert (line.batch_id, line.seq, line.error, line.error_code, line.finished_at) == (
        None,
        None,
        "",
        "",
        None,
    )
    # What the next batch takes (upki.batches.sendable): queued issue lines.
    assert Line.objects.filter(state=LineState.QUEUED, apply_type=ApplyType.ISSUE).get() == line
    event = AuditEvent.objects.get(action="upki.line.retried")
    assert event.actor == "staff:hd1" and event.object_id == str(line.pk)
    assert event.data["reason"] == "O= corrected at the service"
    assert event.data["error"] == REFUSAL and event.data["error_code"] == "E0101"
    assert (event.data["batch"], event.data["seq"]) == (batch.pk, 1)
    item.refresh_from_db()
    assert item.state == "queued" and item.attempts == 0
    step = RequestTransition.objects.filter(request=item).latest("id")
    assert (step.from_state, step.to_state, step.actor, step.note) == (
        "failed",
        "queued",
        "staff:hd1",
        "O= corrected at the service",
    )


@pytest.mark.parametrize("state", [LineState.QUEUED, LineState.ACCEPTED, LineState.DONE])
def test_a_line_that_did_not_fail_is_not_sent_again(state):
    item, batch, _failed = refused_request()
    other = make_line(item.pk + 1000, state, batch=batch, seq=2, dn="CN=b,C=JP")
    with pytest.raises(InvalidState) as refused:
        retry_line(other.pk, actor="staff:hd1", reason="try")
    assert refused.value.code == "line_not_failed"
    other.refresh_from_db()
    assert other.state == state and other.batch_id == batch.pk
    assert not AuditEvent.objects.filter(action="upki.line.retried").exists()
    assert Request.objects.get(pk=item.pk).state == "failed"


def test_a_request_that_cannot_be_retried_leaves_the_line_failed():
    """One transaction: when the request refuses (it was cancelled meanwhile), the line
    stays as it was."""
    item, batch, line = refused_request()
    Request.objects.filter(pk=item.pk).update(state="cancelled")
    with pytest.raises(InvalidState):
        retry_line(line.pk, actor="staff:hd1", reason="fixed")
    line.refresh_from_db()
    assert line.state == LineState.FAILED and line.batch_id == batch.pk
    assert not AuditEvent.objects.filter(action="upki.line.retried").exists()


def test_helpdesk_retries_from_the_batch_page_with_a_reason(helpdesk):
    item, batch, line = refused_request()
    url = reverse("console:upki_line_retry", args=[line.pk])
    without = helpdesk.post(url, {"reason": ""})
    assert without.status_code == 302
    assert Line.objects.get(pk=line.pk).state == LineState.FAILED

    response = helpdesk.post(url, {"reason": "name fixed"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[0][0] == reverse("console:upki_batch", args=[batch.pk])
    assert "goes to the national service again" in response.content.decode()
    assert Line.objects.get(pk=line.pk).state == LineState.QUEUED
    assert Request.objects.get(pk=item.pk).state == "queued"
    assert AuditEvent.objects.get(action="upki.line.retried").actor == "staff:hd1"


def test_the_retry_form_needs_the_csrf_token():
    _item, _batch, line = refused_request()
    client = sign_in(staff("hd9", "helpdesk"), client=Client(enforce_csrf_checks=True))
    response = client.post(reverse("console:upki_line_retry", args=[line.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert Line.objects.get(pk=line.pk).state == LineState.FAILED


def test_staff_without_the_retry_permission_get_403(operator, plain_user):
    item, batch, line = refused_request()
    url = reverse("console:upki_line_retry", args=[line.pk])
    assert operator.post(url, {"reason": "x"}).status_code == 403
    assert Line.objects.get(pk=line.pk).state == LineState.FAILED
    assert Request.objects.get(pk=item.pk).state == "failed"
    for name, args in (
        ("console:upki", []),
        ("console:upki_batch", [batch.pk]),
        ("console:upki_batch_tsv", [batch.pk]),
        ("console:upki_mails", []),
    ):
        assert plain_user.get(reverse(name, args=args)).status_code == 403, name


def test_mails_page_shows_the_link_without_its_one_time_query(helpdesk):
    item, _batch, line = refused_request()
    unmatched = make_mail(
        "<d@upki>",
        MailState.UNMATCHED,
        url=ONE_TIME_URL,
        dn=DN,
        serial="1234567",
        tries=3,
        note=f"503 fetching {ONE_TIME_URL}",
    )
    make_mail("<e@upki>", MailState.MATCHED, url=ONE_TIME_URL + "&x=1", line=line)

    response = helpdesk.get(reverse("console:upki_mails"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert [row.mail.pk for row in response.context["rows"]] == [unmatched.pk]
    assert "https://certs.upki.example/cgi-bin/download" in page
    assert SECRET not in page and "download?" not in page
    assert "503 fetching" in page and DN in page and "1234567" in page

    everything = helpdesk.get(reverse("console:upki_mails"), {"state": "all"}).content.decode()
    assert SECRET not in everything and "download?" not in everything
    assert reverse("console:request", args=[item.pk]) in everything
    matched = helpdesk.get(reverse("console:upki_mails"), {"state": MailState.MATCHED})
    assert [row.mail.line_id for row in matched.context["rows"]] == [line.pk]


def test_shown_url_keeps_scheme_host_and_path_only():
    assert shown_url("https://user:pw@h.example:8443/a/b?k=v#f") == "https://h.example:8443/a/b"
    assert shown_url("") == ""
