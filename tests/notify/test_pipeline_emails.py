"""The real pipeline produces the e-mails (through lifecycle.certificates): received, ready,
revocation done."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jitsuin.lifecycle import services
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.sending import send_due
from tests.notify import factories
from tests.notify.factories import run

pytestmark = pytest.mark.django_db


def test_issue_then_revoke_sends_each_mail_once(ca_hierarchy, smtp_server):
    services.default_profile()
    holder = factories.person("s2599001", language="en")

    issue = services.request_issue(holder, actor="user:s2599001", idempotency_key="i1")
    services.request_issue(holder, actor="user:s2599001", idempotency_key="i1")  # double click
    assert run(issue).state == "ready"
    revoke = services.request_revoke(
        issue.certificate, actor="user:s2599001", idempotency_key="r1", reason="superseded"
    )
    assert run(revoke).state == "done"
    send_due(timezone.now())
    send_due(timezone.now())

    events = list(OutboxMessage.objects.order_by("id").values_list("event", flat=True))
    assert events == [
        "request_received",
        "certificate_ready",
        "request_received",
        "revocation_done",
    ]
    subjects = [m["Subject"].strip() for m in smtp_server.received]
    assert subjects == [
        f"[jitsuin] Certificate request received (#{issue.pk})",
        "[jitsuin] Your certificate is ready to download",
        f"[jitsuin] Revocation request received (#{revoke.pk})",
        f"[jitsuin] Revocation notice: your client certificate was revoked "
        f"({issue.certificate.serial_number.hex})",
    ]
