"""JITSUIN_SSO_PROVISIONING=create: a first-time SSO user gets a directory entry from the
released attributes (jitsuin restarted with the setting for this module)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.sso.peers.peerset import Peers
from tests.sso.peers.walks import oidc_sign_in, saml_sign_in

pytestmark = [pytest.mark.peers, pytest.mark.browser]


@pytest.fixture(scope="module")
def creating(peer_set: Peers) -> Iterator[Peers]:
    with peer_set.site.restarted(JITSUIN_SSO_PROVISIONING="create"):
        yield peer_set


def test_a_first_time_saml_user_gets_a_person_from_the_attributes(creating: Peers) -> None:
    peers = creating
    assert peers.person("hanako@example.ac.jp") is None
    page = peers.new_page(locale="ja-JP")
    saml_sign_in(page, peers, "uni", "hanako")
    peers.shot(page, "provisioning-01-hanako-ja")

    # The Japanese greeting: "佐藤 花子（hanako@example.ac.jp）としてログインしています。"
    assert re.search(r"佐藤 花子\s*[（(]hanako@example\.ac\.jp[)）]", page.inner_text("body"))
    person = peers.person("hanako@example.ac.jp")
    assert person is not None
    assert person["email"] == "hanako@example.ac.jp"
    assert person["name_ja"] == "佐藤 花子"  # jaDisplayName
    assert person["name_en"] == "Hanako Sato"  # displayName
    assert person["affiliation"].startswith("faculty")  # eduPersonAffiliation: first, or joined
    assert person["username"] == "hanako@example.ac.jp"
    added = [e for e in peers.audit("person.added") if "hanako@example.ac.jp" in str(e)]
    assert added
    peers.close_pages()


def test_a_first_time_oidc_user_gets_a_person_from_the_claims(creating: Peers) -> None:
    peers = creating
    page = peers.new_page()
    oidc_sign_in(page, peers, "newcomer")  # preferred_username s2399999
    peers.shot(page, "provisioning-02-oidc-newcomer")

    person = peers.person("s2399999")
    assert person is not None
    assert person["email"] == "s2399999@example.ac.jp"
    assert person["name_en"] == "Ken Newcomer"
    assert person["username"] == "s2399999"
    assert "Signed in as Ken Newcomer (s2399999)" in page.inner_text("body")
    peers.close_pages()
