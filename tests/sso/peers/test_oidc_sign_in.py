"""OpenID Connect sign-in through the real OP (panva oidc-provider)."""

from __future__ import annotations

import pytest

from tests.sso.peers.peerset import Peers
from tests.sso.peers.walks import body_text, oidc_sign_in

pytestmark = [pytest.mark.peers, pytest.mark.browser]


def test_a_person_signs_in_at_the_op_and_sees_their_portal(peers: Peers) -> None:
    page = peers.new_page()
    oidc_sign_in(page, peers, "s2310001")
    peers.shot(page, "oidc-01-portal")

    assert page.url == f"{peers.base}/"
    assert "Signed in as Taro Yamada (s2310001)" in body_text(page)
    signed_in = [e for e in peers.audit("access.signed_in") if e.get("method") == "oidc"]
    assert signed_in and signed_in[-1].get("issuer") == peers.op_issuer
