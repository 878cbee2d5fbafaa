"""The realm rules: identities, validation and the reverse-DNS identifier."""

from __future__ import annotations

import pytest

from jitsuin.pki.onboarding.realm import check_realm, identifier_for, identities


def test_identities_with_a_realm_are_uid_at_realm_and_anonymous_at_realm() -> None:
    assert identities("s2310042", "example.ac.jp") == (
        "s2310042@example.ac.jp",
        "anonymous@example.ac.jp",
    )


def test_without_a_realm_the_identity_is_the_bare_uid_and_no_anonymous_one() -> None:
    assert identities("s2310042", "") == ("s2310042", "")


@pytest.mark.parametrize(
    ("realm", "says"),
    [
        ("Example.ac.jp", "lowercase"),
        ("user@example.ac.jp", "'@'"),
        ("localhost", "not a DNS name"),
        ("exa mple.ac.jp", "not a DNS name"),
        ("-bad.ac.jp", "not a DNS name"),
        ("example..jp", "not a DNS name"),
        (".".join(["a" * 60] * 5), "longer than"),
    ],
)
def test_a_bad_realm_is_refused_with_the_reason(realm: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        check_realm(realm)
    with pytest.raises(ValueError, match=says):
        identities("s2310042", realm)


def test_a_uid_with_an_at_sign_is_refused() -> None:
    with pytest.raises(ValueError, match="no '@'"):
        identities("s2310042@example.ac.jp", "example.ac.jp")


def test_a_good_realm_passes_unchanged() -> None:
    assert check_realm("wifi-1.example.ac.jp") == "wifi-1.example.ac.jp"


def test_identifier_is_the_domain_reversed_with_wifi() -> None:
    assert identifier_for("example.ac.jp") == "jp.ac.example.wifi"
    assert identifier_for(" Example.AC.jp ") == "jp.ac.example.wifi"


@pytest.mark.parametrize("unusable", ["", "localhost", "not a domain", "a@b.jp"])
def test_identifier_falls_back_to_a_fixed_one(unusable: str) -> None:
    assert identifier_for(unusable) == "local.jitsuin.wifi"
