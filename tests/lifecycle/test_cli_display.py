"""The CLI writes serials as the console does (even number of upper-case hex digits, leading
zero kept) and times in the configured zone with the offset, never bare UTC."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from jitsuin.lifecycle.models import Certificate
from tests.notify import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_request_show_keeps_the_leading_zero_and_shows_local_time(ca_hierarchy):
    holder = factories.person("s0099")
    at = datetime(2026, 12, 3, 10, 11, tzinfo=UTC)
    certificate = factories.certificate(holder, at=at)
    Certificate.objects.filter(pk=certificate.pk).update(serial="a60c9d36")
    request = factories.request(
        holder,
        at=at,
        kind="revoke",
        state="waiting",
        target=certificate,
        wait_reason="maintenance",
        not_before=datetime(2026, 12, 3, 10, 23, tzinfo=UTC),
    )
    shown = run("request", "show", str(request.pk))
    assert "target:     A60C9D36" in shown
    Certificate.objects.filter(pk=certificate.pk).update(serial="a60c9d3")
    shown = run("request", "show", str(request.pk))
    assert "target:     0A60C9D3" in shown and "a60c9d3" not in shown
    # 10:23 UTC is 19:23 in Japan; the offset says which zone it is.
    assert "until 2026-12-03 19:23:00 +0900" in shown
    assert "2026-12-03 19:11:00 +0900" in shown and "UTC" not in shown
