"""SAML sign-in through real SimpleSAMLphp IdPs listed in a signed federation aggregate."""

from __future__ import annotations

import pytest

from tests.sso.peers.peerset import Peers
from tests.sso.peers.walks import body_text, saml_sign_in

pytestmark = [pytest.mark.peers, pytest.mark.browser]


def test_a_person_signs_in_at_the_home_idp_and_sees_their_portal(peers: Peers) -> None:
    page = peers.new_page()
    saml_sign_in(page, peers, "uni", "taro")
    peers.shot(page, "saml-01-portal")

    assert page.url == f"{peers.base}/"
    assert "Signed in as Taro Yamada (s2310002@example.ac.jp)" in body_text(page)
    signed_in = [e for e in peers.audit("access.signed_in") if e.get("method") == "saml"]
    assert signed_in and signed_in[-1].get("issuer") == peers.idps["uni"].entity_id


def test_a_stock_shibboleth_idp_encrypting_the_assertion_and_signing_the_response(
    peers: Peers,
) -> None:
    """The "shib" IdP encrypts the assertion for the SP's key and signs only the Response."""
    page = peers.new_page()
    saml_sign_in(page, peers, "shib", "taro")
    peers.shot(page, "saml-02-shib-encrypted")

    assert page.url == f"{peers.base}/"
    assert "(s2310002@shib-u.ac.jp)" in body_text(page)
