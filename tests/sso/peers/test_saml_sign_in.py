"""SAML sign-in through real SimpleSAMLphp IdPs listed in a signed federation aggregate."""

from __future__ import annotations

import pytest

from tests.sso.peers.peerset import DIRECTORY, SUPERUSER, Peers
from tests.sso.peers.walks import (
    body_text,
    console_kept_closed,
    is_signed_out,
    saml_sign_in,
    signed_in_as,
)

pytestmark = [pytest.mark.peers, pytest.mark.browser]


def test_a_person_signs_in_at_the_home_idp_and_sees_their_portal(peers: Peers) -> None:
    uni = peers.idps["uni"]
    page = peers.new_page()
    saml_sign_in(page, peers, "uni", "taro")
    peers.shot(page, "saml-01-portal")

    assert page.url == f"{peers.base}/"
    assert signed_in_as(page, "Taro Yamada", "s2310002@example.ac.jp")
    assert peers.identity_owner(uni.entity_id, "s2310002@example.ac.jp") == "s2310002@example.ac.jp"
    assert peers.person("s2310002@example.ac.jp")["username"] == "s2310002@example.ac.jp"
    signed_in = [e for e in peers.audit("access.signed_in") if e.get("method") == "saml"]
    assert any("s2310002@example.ac.jp" in e["actor"] for e in signed_in)


def test_another_idp_asserting_our_eppn_is_refused(peers: Peers) -> None:
    """The IdP "evil" (scope other-u.ac.jp) says its user "victim" is s2310002@example.ac.jp."""
    evil = peers.idps["evil"]
    page = peers.new_page(locale="ja-JP")
    saml_sign_in(page, peers, "evil", "victim")
    peers.shot(page, "saml-03-other-idp-refused-ja")

    text = body_text(page)
    assert "サインインできませんでした" in text  # "Sign-in refused", in the person's language
    assert "scope" in text  # the reason code, for the helpdesk
    assert "s2310002@example.ac.jp" not in text
    assert is_signed_out(page, peers)
    assert peers.identity_owner(evil.entity_id, "s2310002@example.ac.jp") is None
    person = peers.person("s2310002@example.ac.jp")
    assert person is not None and person["email"] == DIRECTORY["s2310002@example.ac.jp"][0]
    refused = peers.refusals(evil.entity_id)
    assert refused and refused[-1]["reason"] == "scope"
    assert refused[-1]["uid"] == "s2310002@example.ac.jp"


def test_an_idp_user_named_like_the_local_superuser_gets_no_local_account(peers: Peers) -> None:
    """The home IdP releases the unscoped ePPN "breakglass", the name of jitsuin's superuser."""
    uni = peers.idps["uni"]
    page = peers.new_page()
    saml_sign_in(page, peers, "uni", "breakglass")
    peers.shot(page, "saml-04-breakglass")

    assert console_kept_closed(page, peers)
    assert peers.last_login(SUPERUSER) is None  # the superuser was never signed in
    assert peers.identity_owner(uni.entity_id, "breakglass") != SUPERUSER
    refused = [e for e in peers.refusals(uni.entity_id) if e.get("uid") == "breakglass"]
    assert refused or peers.identity_owner(uni.entity_id, "breakglass") is not None


def test_a_stock_shibboleth_idp_encrypting_the_assertion_and_signing_the_response(
    peers: Peers,
) -> None:
    """The "shib" IdP encrypts the assertion for the SP's key and signs only the Response."""
    page = peers.new_page()
    saml_sign_in(page, peers, "shib", "taro")
    peers.shot(page, "saml-02-shib-encrypted")

    assert page.url == f"{peers.base}/"
    assert signed_in_as(page, "Taro Yamada", "s2310002@shib-u.ac.jp")
