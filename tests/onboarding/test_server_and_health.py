"""Which Wi-Fi server profiles trust, the demo's stand-ins, and the /healthz warning."""

from __future__ import annotations

import pytest
from django.test import Client

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of
from jitsuin.onboarding.server import DEMO_SERVER_NAME, wifi_identities, wifi_server
from jitsuin.onboarding.services import build_profile
from tests.onboarding.conftest import REALM, SERVER_NAMES
from tests.staff_fixtures import helpdesk

__all__ = ["helpdesk"]

pytestmark = pytest.mark.django_db


def test_the_configured_server_is_used_as_set(wifi, radius_pki):
    server = wifi_server()
    assert server is not None and not server.demo
    assert server.names == SERVER_NAMES and server.realm == REALM
    assert server.cas == (radius_pki.root.certificate,)


def test_without_settings_there_is_no_server(ca_hierarchy):
    assert wifi_server() is None


def test_the_demo_stands_in_with_an_invalid_name_and_jitsuins_root(demo, ca_hierarchy):
    server = wifi_server()
    assert server is not None and server.demo
    assert server.names == (DEMO_SERVER_NAME,) and DEMO_SERVER_NAME.endswith(".invalid")
    assert server.cas == tuple(certificate_of(a) for a in Authority.objects.roots())


def test_the_demo_offers_a_profile_marked_as_demo(demo, pickup):
    built = build_profile(pickup, "wpa-supplicant", actor="user:alice")
    assert DEMO_SERVER_NAME.encode() in built.data
    assert AuditEvent.objects.get(action="onboarding.profile_built").data["demo"] is True


def test_healthz_warns_while_the_server_is_unset_but_stays_ok(ca_hierarchy):
    body = Client().get("/healthz").json()
    check = body["checks"]["onboarding"]
    assert check["status"] == "ok" and check["detail"]["profiles"] is False
    assert check["detail"]["unset"] == ["JITSUIN_RADIUS_SERVER_NAME", "JITSUIN_RADIUS_SERVER_CA"]
    assert "no Wi-Fi profile" in check["detail"]["warning"]


def test_healthz_has_no_warning_once_the_server_is_set(wifi, ca_hierarchy):
    check = Client().get("/healthz").json()["checks"]["onboarding"]
    assert check["detail"] == {"profiles": True}


def test_a_scoped_uid_is_its_own_identity_and_keeps_a_routable_outer_one():
    assert wifi_identities("s2310042", "example.ac.jp") == (
        "s2310042@example.ac.jp",
        "anonymous@example.ac.jp",
    )
    assert wifi_identities("s2310042@example.ac.jp", "") == (
        "s2310042@example.ac.jp",
        "anonymous@example.ac.jp",
    )
    assert wifi_identities("s2310042", "") == ("s2310042", "")


def test_the_console_dashboard_shows_the_warning_while_profiles_are_off(ca_hierarchy, helpdesk):
    html = helpdesk.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="onboarding-warning"' in html
    assert "JITSUIN_RADIUS_SERVER_CA" in html


def test_the_console_dashboard_is_quiet_once_the_server_is_set(wifi, ca_hierarchy, helpdesk):
    html = helpdesk.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="onboarding-warning"' not in html
