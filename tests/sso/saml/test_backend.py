"""What a SAML assertion tells the identity layer (GakuNin attribute names)."""

from __future__ import annotations

from jitsuin.sso.saml.backend import assertion_from, refusal_for
from jitsuin.sso.saml.metadata import MetadataUnavailable

UNI = "https://idp.example.ac.jp/idp/shibboleth"


def test_the_scoped_eppn_is_subject_and_uid_and_names_come_from_display_names():
    assertion = assertion_from(
        {
            "issuer": UNI,
            "ava": {
                "eduPersonPrincipalName": ["s2310002@example.ac.jp"],
                "mail": ["hanako@example.ac.jp"],
                "displayName": ["Hanako Yamada"],
                "jaDisplayName": ["山田 花子"],
                "eduPersonAffiliation": ["student", "member", "student"],
            },
        },
        "eduPersonPrincipalName",
    )
    assert (assertion.method, assertion.issuer) == ("saml", UNI)
    assert assertion.subject == assertion.uid == "s2310002@example.ac.jp"
    assert assertion.email == "hanako@example.ac.jp"
    assert (assertion.name_en, assertion.name_ja) == ("Hanako Yamada", "山田 花子")
    assert assertion.affiliation == "student, member"


def test_names_fall_back_to_their_parts_and_affiliation_to_ou():
    assertion = assertion_from(
        {
            "issuer": UNI,
            "ava": {
                "eduPersonPrincipalName": ["t0042@example.ac.jp"],
                "givenName": ["Taro"],
                "sn": ["Suzuki"],
                "jasn": ["鈴木"],
                "jaGivenName": ["太郎"],
                "ou": ["Faculty of Science"],
            },
        },
        "eduPersonPrincipalName",
    )
    assert (assertion.name_en, assertion.name_ja) == ("Taro Suzuki", "鈴木 太郎")
    assert assertion.affiliation == "Faculty of Science"
    assert assertion.email == ""


def test_a_missing_uid_gives_an_empty_uid_for_the_identity_layer_to_refuse():
    assert (
        assertion_from({"issuer": UNI, "ava": {"mail": ["a@b"]}}, "eduPersonPrincipalName").uid
        == ""
    )


def test_protocol_failures_are_told_by_reason():
    assert refusal_for(MetadataUnavailable("down")).reason == "metadata"
    assert refusal_for(ValueError("odd")).reason == "token"
