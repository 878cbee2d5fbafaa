"""The federation aggregate: fetched and cached, and trusted only with the federation's
signature (JITSUIN_SAML_METADATA_CERT)."""

from __future__ import annotations

import re

import pytest

from tests.sso.peers.peerset import Peers
from tests.sso.peers.walks import fill_saml_login, is_signed_out, offered_saml_idp, saml_sign_in

pytestmark = [pytest.mark.peers, pytest.mark.browser]
AGGREGATE = "/federation.xml"


def test_the_aggregate_is_not_fetched_for_every_request(peers: Peers) -> None:
    saml_sign_in(peers.new_page(), peers, "uni", "taro")
    before = peers.metadata.requests.get(AGGREGATE, 0)
    for _ in range(3):
        saml_sign_in(peers.new_page(), peers, "uni", "taro")

    assert before >= 1
    assert peers.metadata.requests.get(AGGREGATE, 0) == before


def test_an_aggregate_altered_after_signing_does_not_let_its_idp_in(peers: Peers) -> None:
    """In transit, "evil" is given the scope example.ac.jp; the signature no longer matches."""
    signed = (peers.metadata.directory / AGGREGATE.lstrip("/")).read_text()
    forged, changed = re.subn(
        r"(<shibmd:Scope[^>]*>)other-u\.ac\.jp(</shibmd:Scope>)", r"\1example.ac.jp\2", signed
    )
    assert changed == 1
    (peers.metadata.directory / "forged.xml").write_text(forged)
    evil = peers.idps["evil"]

    with peers.site.restarted(JITSUIN_SAML_METADATA_URL=peers.metadata.url("forged.xml")):
        page = peers.new_page()
        if offered_saml_idp(page, peers, "evil"):  # not offered at all without good metadata
            fill_saml_login(page, "victim")
            page.wait_for_url(f"{peers.base}/**")
        peers.shot(page, "metadata-01-forged-aggregate")

        assert is_signed_out(page, peers)
        assert peers.identity_owner(evil.entity_id, "s2310002@example.ac.jp") is None
