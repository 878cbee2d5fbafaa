"""Sign out ends the IdP session too: on a shared PC, the next person meets the login form."""

from __future__ import annotations

import pytest

from tests.sso.peers.peerset import Peers
from tests.sso.peers.walks import (
    body_text,
    is_signed_out,
    oidc_login_form_shown,
    oidc_sign_in,
    saml_login_form_shown,
    saml_sign_in,
    sign_out,
    start_oidc,
    start_saml,
)

pytestmark = [pytest.mark.peers, pytest.mark.browser]
SAYS_SO = "signed out of this portal and of the campus sign-in service"


def _signed_out_events(peers: Peers, method: str) -> list[dict[str, object]]:
    return [e for e in peers.audit("access.signed_out") if e.get("method") == method]


def test_oidc_sign_out_ends_the_op_session(peers: Peers) -> None:
    page = peers.new_page()
    oidc_sign_in(page, peers, "s2310001")
    sign_out(page, peers)
    peers.shot(page, "signout-01-oidc")

    assert SAYS_SO in body_text(page)
    assert _signed_out_events(peers, "oidc")[-1]["idp"] is True
    assert is_signed_out(page, peers)
    start_oidc(page, peers)
    assert oidc_login_form_shown(page, peers), page.url


def test_saml_sign_out_ends_the_idp_session(peers: Peers) -> None:
    page = peers.new_page()
    saml_sign_in(page, peers, "uni", "taro")
    sign_out(page, peers)
    peers.shot(page, "signout-02-saml")

    assert SAYS_SO in body_text(page)
    assert _signed_out_events(peers, "saml")[-1]["idp"] is True
    assert is_signed_out(page, peers)
    start_saml(page, peers, "uni")
    assert saml_login_form_shown(page, peers, "uni"), page.url
