"""What an OpenID Provider says about a person, read as jitsuin's names (OIDC Core 5.2)."""

from __future__ import annotations

from jitsuin.sso.oidc import claims

BASE = {"iss": "https://idp.example.ac.jp", "sub": "abc", "uid": "s0001"}


def test_the_reading_comes_from_the_katakana_claims():
    said = {**BASE, "family_name#ja-Kana-JP": "ヤマダ", "given_name#ja-Kana-JP": "タロウ"}
    assert claims.assertion(said, uid_claim="uid").name_kana == "ヤマダ タロウ"


def test_a_whole_reading_wins_and_hiragana_is_read_too():
    assert claims.name_kana(
        {"name#ja-Kana-JP": "ヤマダ タロウ", "family_name#ja-Kana-JP": "X"}
    ) == ("ヤマダ タロウ")
    assert claims.name_kana({"name#ja-Hira-JP": "やまだ たろう"}) == "やまだ たろう"


def test_no_reading_claims_no_reading():
    said = {**BASE, "name#ja": "山田 太郎"}
    assertion = claims.assertion(said, uid_claim="uid")
    assert assertion.name_kana == ""
    assert assertion.name_ja == "山田 太郎"
