"""An IdP may assert only uids of its own scopes (review C1: another university's IdP must not
sign in as a local user)."""

from __future__ import annotations

import pytest
from saml2.config import SPConfig

from jitsuin.sso.identities import SsoRefused
from jitsuin.sso.saml.scopes import allowed_scopes, check_issuer, check_scope
from tests.peers import require_tool
from tests.sso.saml.federation import EVIL, UNI, Idp, federation, key_pair

LAB = "https://idp.lab.example.ac.jp/idp/shibboleth"
SCOPELESS = "https://idp.scopeless.example.ac.jp/idp/shibboleth"


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("scopes")
    signing = key_pair(directory, "idp")
    path = directory / "federation.xml"
    path.write_bytes(
        federation(
            [
                Idp(UNI, signing, (("example.ac.jp", False),)),
                Idp(EVIL, signing, (("other-u.ac.jp", False),)),
                Idp(LAB, signing, ((r"^[a-z]+\.lab\.example\.ac\.jp$", True),)),
                Idp(SCOPELESS, signing),
            ]
        )
    )
    conf = SPConfig()
    conf.load(
        {
            "entityid": "https://jitsuin.example.ac.jp/account/saml2/metadata/",
            "xmlsec_binary": require_tool("xmlsec1"),
            "metadata": {"local": [str(path)]},
            "service": {"sp": {"want_assertions_or_response_signed": True}},
        }
    )
    return conf.metadata


def allowed(metadata, idp, uid, *, institution="", configured=()):  # type: ignore[no-untyped-def]
    scopes = allowed_scopes(metadata, idp, institution=institution, configured=configured)
    check_scope(uid, idp, scopes)


def test_an_idp_may_assert_its_own_scope(metadata):
    allowed(metadata, UNI, "s2310002@example.ac.jp")
    allowed(metadata, UNI, "S2310002@Example.AC.JP")


def test_another_idp_asserting_a_local_eppn_is_refused(metadata):
    with pytest.raises(SsoRefused) as refused:
        allowed(metadata, EVIL, "s2310002@example.ac.jp")
    assert refused.value.reason == "scope"
    assert refused.value.issuer == EVIL


@pytest.mark.parametrize("uid", ["breakglass", "@example.ac.jp", "s2310002@"])
def test_an_unscoped_uid_is_refused(metadata, uid):
    with pytest.raises(SsoRefused) as refused:
        allowed(metadata, UNI, uid)
    assert refused.value.reason == "scope"


def test_a_regexp_scope_matches_the_whole_scope(metadata):
    allowed(metadata, LAB, "t0042@chem.lab.example.ac.jp")
    for uid in ("t0042@example.ac.jp", "t0042@chem.lab.example.ac.jp.evil.org"):
        with pytest.raises(SsoRefused):
            allowed(metadata, LAB, uid)


def test_configured_scopes_apply_only_to_the_institutions_idp_without_metadata_scopes(metadata):
    allowed(
        metadata, SCOPELESS, "a@example.ac.jp", institution=SCOPELESS, configured=["example.ac.jp"]
    )
    with pytest.raises(SsoRefused):
        allowed(metadata, SCOPELESS, "a@example.ac.jp")  # not the institution's: no scopes
    with pytest.raises(SsoRefused):
        # The metadata's own scopes win over the configured ones.
        allowed(metadata, UNI, "a@other-u.ac.jp", institution=UNI, configured=["other-u.ac.jp"])


def test_only_the_institutions_idp_is_accepted_when_it_is_configured():
    check_issuer(UNI, institution=UNI)
    check_issuer(EVIL, institution="")
    with pytest.raises(SsoRefused) as refused:
        check_issuer(EVIL, institution=UNI)
    assert refused.value.reason == "idp-not-allowed"
