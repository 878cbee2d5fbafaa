"""OpenID Connect sign-in through the real OP (panva oidc-provider) and, for the token
attacks, the tamper proxy in front of its token endpoint."""

from __future__ import annotations

import pytest

from tests.sso.peers.peerset import SUPERUSER, Peers
from tests.sso.peers.walks import (
    body_text,
    console_kept_closed,
    is_signed_out,
    oidc_sign_in,
    signed_in_as,
)

pytestmark = [pytest.mark.peers, pytest.mark.browser]


def _owner_of_s2310001(peers: Peers) -> str | None:
    """s2310001 signs in (again) in a browser of their own; who their (iss, sub) is bound to."""
    oidc_sign_in(peers.new_page(), peers, "s2310001")
    return peers.identity_owner(peers.op_issuer, "sub-s2310001")


def test_a_person_signs_in_at_the_op_and_sees_their_portal(peers: Peers) -> None:
    page = peers.new_page()
    oidc_sign_in(page, peers, "s2310001")
    peers.shot(page, "oidc-01-portal")

    assert page.url == f"{peers.base}/"
    assert signed_in_as(page, "Taro Yamada", "s2310001")
    assert peers.identity_owner(peers.op_issuer, "sub-s2310001") == "s2310001"
    assert peers.person("s2310001")["username"] == "s2310001"
    signed_in = [e for e in peers.audit("access.signed_in") if e.get("method") == "oidc"]
    assert any("s2310001" in e["actor"] for e in signed_in)


def test_another_subject_with_the_same_preferred_username_gets_someone_else(
    peers: Peers,
) -> None:
    owner = _owner_of_s2310001(peers)
    page = peers.new_page()
    oidc_sign_in(page, peers, "imposter")  # sub-imposter, preferred_username s2310001
    peers.shot(page, "oidc-02-imposter")

    assert not signed_in_as(page, "Taro Yamada", "s2310001")
    assert "(s2310001)" not in body_text(page)
    assert peers.identity_owner(peers.op_issuer, "sub-imposter") != owner
    assert peers.person("s2310001")["username"] == owner
    refused = [e for e in peers.refusals(peers.op_issuer) if e.get("uid") == "s2310001"]
    assert refused or peers.identity_owner(peers.op_issuer, "sub-imposter") is not None


def test_an_op_user_named_like_the_local_superuser_gets_no_local_account(peers: Peers) -> None:
    page = peers.new_page()
    oidc_sign_in(page, peers, "breakglass")  # preferred_username=breakglass
    peers.shot(page, "oidc-03-breakglass")

    assert console_kept_closed(page, peers)
    assert peers.last_login(SUPERUSER) is None
    assert peers.identity_owner(peers.op_issuer, "sub-breakglass") != SUPERUSER
    refused = [e for e in peers.refusals(peers.op_issuer) if e.get("uid") == "breakglass"]
    assert refused or peers.identity_owner(peers.op_issuer, "sub-breakglass") is not None


@pytest.mark.parametrize("mode", ["wrong_iss", "wrong_aud"])
def test_an_id_token_for_another_issuer_or_audience_is_refused(peers: Peers, mode: str) -> None:
    """The real ID token, re-signed with the OP's own key after changing ``iss`` or ``aud``."""
    refusals_before = len(peers.audit("access.sso_refused"))
    peers.tamper.mode = mode
    try:
        page = peers.new_page()
        oidc_sign_in(page, peers, "s2310001")
    finally:
        peers.tamper.mode = "pass"
    peers.shot(page, f"oidc-04-{mode}")

    assert peers.tamper.exchanges[-1] == mode  # the code exchange did go through the proxy
    assert not signed_in_as(page, "Taro Yamada", "s2310001")
    assert is_signed_out(page, peers)
    refused = peers.audit("access.sso_refused")[refusals_before:]
    assert [e["reason"] for e in refused] == ["token"]
