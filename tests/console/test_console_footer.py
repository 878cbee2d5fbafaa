"""The console is used by the helpdesk: it does not tell them to contact the helpdesk."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_console_does_not_tell_the_helpdesk_to_contact_the_helpdesk(helpdesk):
    english = helpdesk.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Contact the helpdesk" not in english
    japanese = helpdesk.get("/console/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "ヘルプデスクにお問い合わせ" not in japanese


def test_the_portal_still_names_the_helpdesk(client, db):
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Contact the helpdesk" in page
