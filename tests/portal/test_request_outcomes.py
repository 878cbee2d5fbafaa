"""What the portal says about a request staff cancelled, and about failed and delayed ones."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jitsuin.lifecycle import services
from jitsuin.lifecycle.models import WAIT_RETRY, Request
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "ヘルプデスクが取り消しました：二重の申請"),
        ("en", "Cancelled by the helpdesk: 二重の申請"),
    ],
)
def test_history_says_the_helpdesk_cancelled_and_why(alice, client_for, language, expected):
    item = factories.request(alice, at=timezone.now(), state="failed")
    services.cancel_request(item, actor="staff:hd1", reason="二重の申請")
    client = client_for(alice, language=language)
    assert expected in client.get("/").content.decode()
    assert expected in client.get(f"/requests/{item.pk}/").content.decode()


def test_a_failed_request_is_not_said_to_retry_by_itself(alice, client_for):
    item = factories.request(alice, at=timezone.now(), state="failed")
    page = client_for(alice, language="ja").get(f"/requests/{item.pk}/").content.decode()
    assert "自動で再試行しています" not in page and "自動では再試行されません" in page
    assert "自動で再試行し、" not in page


def test_a_delayed_request_that_jitsuin_retries_says_so(alice, client_for):
    item = factories.request(alice, at=timezone.now(), state="waiting", wait_reason=WAIT_RETRY)
    page = client_for(alice, language="ja").get(f"/requests/{item.pk}/").content.decode()
    assert "遅延中（自動で再試行しています）" in page
    Request.objects.filter(pk=item.pk).update(wait_reason="maintenance")
    page = client_for(alice, language="ja").get(f"/requests/{item.pk}/").content.decode()
    assert "自動で再試行" not in page
