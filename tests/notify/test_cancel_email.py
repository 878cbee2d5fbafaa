"""A request cancelled by staff is told to its owner, with the reason, in their language."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jitsuin.lifecycle import services
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.notify.models import OutboxMessage
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("ja", "発行申請をヘルプデスクが取り消しました", "取り消しの理由: 学外に転出"),
        ("en", "The helpdesk cancelled your certificate request", "Reason: 学外に転出"),
    ],
)
def test_a_staff_cancellation_mails_the_owner_the_reason(language, subject, line):
    holder = factories.person(language=language)
    item = factories.request(holder, at=timezone.now(), state="failed")
    services.cancel_request(item, actor="staff:hd1", reason="学外に転出")
    message = OutboxMessage.objects.get(event="request_cancelled")
    assert message.to == holder.email and message.language == language
    assert subject in message.subject and f"#{item.pk}" in message.subject
    assert line in message.body


def test_the_cli_counts_as_staff_and_one_cancellation_is_one_mail():
    item = factories.request(factories.person(), at=timezone.now(), state="queued")
    services.cancel_request(item, actor="cli:root", reason="duplicate")
    assert OutboxMessage.objects.filter(key=f"request-cancelled:{item.pk}").count() == 1


def test_no_mail_for_an_owner_cancelling_or_a_silent_revocation(ca_hierarchy):
    holder = factories.person()
    own = factories.request(holder, at=timezone.now(), state="queued")
    services.cancel_request(own, actor=f"user:{holder.uid}", reason="changed my mind")
    certificate = factories.certificate(holder, at=timezone.now())
    silent = factories.request(
        holder, at=timezone.now(), kind="revoke", target=certificate, silent=True
    )
    services.cancel_request(silent, actor="staff:hd1", reason="x")
    assert not OutboxMessage.objects.filter(event="request_cancelled").exists()


def test_no_reason_no_cancellation_and_no_mail():
    item = factories.request(factories.person(), at=timezone.now(), state="queued")
    with pytest.raises(NotAllowed):
        services.cancel_request(item, actor="staff:hd1", reason="")
    item.refresh_from_db()
    assert item.state == "queued"
    assert not OutboxMessage.objects.filter(event="request_cancelled").exists()
