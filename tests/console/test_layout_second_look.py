"""Console pages as staff read them: CA roles in words, languages in words, phone-sized tables."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from jitsuin.notify.services import enqueue
from tests.notify import factories

pytestmark = pytest.mark.django_db


def test_the_root_ca_is_a_trust_anchor_not_an_issuer(ca_admin, ca_hierarchy):
    html = ca_admin.get("/console/authorities/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    rows = html.split("<tr>")
    (root_row,) = [r for r in rows if r.strip().startswith(f"<td>{ca_hierarchy.root.name}</td>")]
    assert "有効（信頼の起点）" in root_row and "発行中" not in root_row
    assert "有効（発行中）" in html  # the issuing intermediate
    assert "`" not in html and "<code>jitsuin ca</code>" in html


def test_the_outbox_names_the_language_of_a_bilingual_mail(helpdesk, ca_hierarchy):
    person = factories.person()
    with transaction.atomic():
        enqueue(
            "request_received",
            person=person,
            to="helpdesk@example.ac.jp",
            key="second-look-1",
            context={"request_id": 1, "kind_label": "Issue"},
            lang="ja+en",
            now=timezone.now(),
        )
    html = helpdesk.get("/console/messages/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "日本語と英語" in html
    assert "ja+en" not in html


def test_the_day_table_reads_down_not_across(operator, ca_hierarchy):
    html = operator.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = html[html.index('id="per-day"') :].split("</table>")[0]
    assert table.count("<tr>") == 15  # a header and one row per day: fits a phone's width
