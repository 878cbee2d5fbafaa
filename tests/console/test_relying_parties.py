"""The console's relying-party page: who keeps up in green, who is behind in red and why, in
the reader's language; CA admins remove a decommissioned host (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import RelyingParty
from tests.authorities.publishing.test_relying_parties import (  # noqa: F401 (a fixture)
    _crls_published,
    report,
)

pytestmark = pytest.mark.django_db


def test_current_and_behind_hosts_are_told_apart(helpdesk, ca_hierarchy):
    report("radius1.example.ac.jp")
    report("vpn1.example.ac.jp", now=timezone.now() - timedelta(hours=2))
    page = helpdesk.get(reverse("console:relying_parties"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-name="radius1.example.ac.jp" data-ok="yes"' in html
    assert 'data-name="vpn1.example.ac.jp" data-ok="no"' in html
    assert "1 relying party is behind." in html and "no report since" in html
    assert html.index("vpn1.example.ac.jp") < html.index("radius1.example.ac.jp")  # red first
    assert ca_hierarchy.intermediate.name in html
    assert "Remove (decommissioned)" not in html  # the helpdesk cannot forget a host
    nav = helpdesk.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:relying_parties") in nav


def test_the_page_speaks_japanese(helpdesk, ca_hierarchy):
    report("vpn1.example.ac.jp", now=timezone.now() - timedelta(hours=2))
    page = helpdesk.get(reverse("console:relying_parties"), HTTP_ACCEPT_LANGUAGE="ja")
    html = page.content.decode()
    assert "接続先サーバ" in html and "遅れています" in html and "以降、報告がありません" in html


def test_an_empty_list_says_how_to_register_agents(operator, ca_hierarchy):
    html = operator.get(
        reverse("console:relying_parties"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="relying-parties-empty"' in html and "--report-token-file" in html


def test_a_ca_admin_removes_a_decommissioned_host(ca_admin, ca_hierarchy):
    party = report("old-radius")
    page = ca_admin.get(reverse("console:relying_parties"), HTTP_ACCEPT_LANGUAGE="en")
    page = page.content.decode()
    assert "Remove (decommissioned)" in page
    answer = ca_admin.post(reverse("console:relying_party_forget", args=[party.pk]))
    assert answer.status_code == 302
    assert not RelyingParty.objects.exists()
    assert AuditEvent.objects.get(action="relying_party.forgotten").actor == "staff:ca1"


def test_the_dashboard_warns_while_a_host_is_behind(operator, ca_hierarchy):
    report("radius1.example.ac.jp")
    html = operator.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="relying-parties-warning"' not in html
    report("vpn1.example.ac.jp", now=timezone.now() - timedelta(hours=2))
    html = operator.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 RADIUS or VPN server is behind on the CRLs" in html
    html = operator.get(reverse("console:dashboard"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "1 台の RADIUS・VPN サーバが CRL の取り込みに遅れています" in html
