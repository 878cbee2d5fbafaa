"""Network policy: campus and VPN networks only; trusted proxies; relying-party paths public."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from jitsuin.access import middleware
from jitsuin.config import current

pytestmark = pytest.mark.django_db

CAMPUS = "10.20.0.0/16"
PROXY = "192.0.2.10/32"


@pytest.fixture
def policy(monkeypatch):  # type: ignore[no-untyped-def]
    config = dataclasses.replace(
        current(),
        allowed_networks=(ipaddress.ip_network(CAMPUS),),
        trusted_proxies=(ipaddress.ip_network(PROXY),),
    )
    monkeypatch.setattr(middleware, "current", lambda: config)
    return config


def test_a_disallowed_address_gets_the_bilingual_403_page(client, policy):
    response = client.get("/account/login/", REMOTE_ADDR="203.0.113.7")
    html = response.content.decode()
    assert response.status_code == 403
    assert "学内LANまたはSSL-VPN" in html and "campus network or through the SSL-VPN" in html


def test_a_campus_address_gets_the_page(client, policy):
    assert client.get("/account/login/", REMOTE_ADDR="10.20.3.4").status_code == 200


def test_through_a_trusted_proxy_the_forwarded_address_decides(client, policy):
    allowed = client.get(
        "/account/login/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.20.3.4"
    )
    refused = client.get(
        "/account/login/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert allowed.status_code == 200
    assert refused.status_code == 403


def test_forwarded_for_from_an_untrusted_source_is_ignored(client, policy):
    response = client.get(
        "/account/login/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.20.3.4"
    )
    assert response.status_code == 403


def test_a_spoofed_leftmost_entry_does_not_help(client, policy):
    response = client.get(
        "/account/login/",
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="10.20.3.4, 203.0.113.7",
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/healthz", "/ca/bundle.pem", "/static/jitsuin/site.css"])
def test_relying_party_paths_stay_public(client, policy, ca_hierarchy, path):
    response = client.get(path, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
