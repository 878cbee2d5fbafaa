"""The OpenID Connect variables are checked at start-up, without asking the provider."""

from __future__ import annotations

import pytest

from jitsuin.config import ConfigError
from jitsuin.sso.oidc.config import oidc_settings
from jitsuin.sso.settings import MODEL_BACKEND, OIDC_BACKEND, sso_settings
from tests.sso.oidc.conftest import config_with, variables

ISSUER = "https://idp.example.ac.jp"  # nothing answers there: start-up must not need it


def test_one_issuer_url_is_enough_and_nothing_is_fetched_at_start_up(tmp_path):
    result = sso_settings(config_with(tmp_path, **variables(ISSUER)))
    assert result["AUTHENTICATION_BACKENDS"] == [OIDC_BACKEND, MODEL_BACKEND]
    assert result["JITSUIN_OIDC_ISSUER"] == ISSUER
    assert result["JITSUIN_OIDC_ENDPOINTS"] == {}
    assert result["JITSUIN_OIDC_CACHE_DIR"] == str(tmp_path / "oidc")
    assert result["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert result["OIDC_RP_SCOPES"] == "openid email profile"
    assert result["OIDC_STORE_ID_TOKEN"] is True
    assert result["JITSUIN_OIDC_UID_CLAIM"] == "preferred_username"
    assert result["JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI"].endswith("/account/signed-out/")
    assert not (tmp_path / "oidc").exists()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("JITSUIN_OIDC_ISSUER", "JITSUIN_OIDC_ISSUER"),
        ("JITSUIN_OIDC_CLIENT_SECRET", "JITSUIN_OIDC_CLIENT_SECRET"),
        ("JITSUIN_OIDC_CLIENT_ID", "JITSUIN_OIDC_CLIENT_ID"),
    ],
)
def test_a_missing_variable_is_named(missing, named):
    env = variables(ISSUER)
    del env[missing]
    with pytest.raises(ConfigError, match=named):
        oidc_settings(config_with(**env))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JITSUIN_OIDC_ISSUER", "idp.example.ac.jp"),
        ("JITSUIN_OIDC_ISSUER", "ftp://idp.example.ac.jp"),
        ("JITSUIN_OIDC_ISSUER", "https://idp.example.ac.jp/?tenant=1"),
        ("JITSUIN_OIDC_SIGN_ALGO", "none"),
        ("JITSUIN_OIDC_SIGN_ALGO", "RS257"),
        ("JITSUIN_OIDC_SCOPES", "email profile"),
        ("JITSUIN_OIDC_TOKEN_ENDPOINT", "/token"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        oidc_settings(config_with(**variables(ISSUER, **{name: value})))


def test_explicit_endpoints_and_the_old_username_claim_variable_are_read():
    result = oidc_settings(
        config_with(
            **variables(
                ISSUER,
                JITSUIN_OIDC_TOKEN_ENDPOINT="https://gw.example.ac.jp/token",
                JITSUIN_OIDC_END_SESSION_ENDPOINT="https://idp.example.ac.jp/logout",
                JITSUIN_OIDC_USERNAME_CLAIM="uid",
                JITSUIN_OIDC_SIGN_ALGO="ES256",
            )
        )
    )
    assert result["JITSUIN_OIDC_ENDPOINTS"] == {
        "token_endpoint": "https://gw.example.ac.jp/token",
        "end_session_endpoint": "https://idp.example.ac.jp/logout",
    }
    assert result["JITSUIN_OIDC_UID_CLAIM"] == "uid"
    assert result["OIDC_RP_SIGN_ALGO"] == "ES256"


def test_the_uid_claim_variable_wins_over_the_old_name():
    env = variables(ISSUER, JITSUIN_OIDC_UID_CLAIM="employee_number")
    env["JITSUIN_OIDC_USERNAME_CLAIM"] = "preferred_username"
    assert oidc_settings(config_with(**env))["JITSUIN_OIDC_UID_CLAIM"] == "employee_number"
