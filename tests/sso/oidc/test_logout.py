"""Signing out sends the browser to the provider's end_session_endpoint, so that the next
person at a shared PC meets the provider's login form (OpenID Connect RP-Initiated Logout)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.test import RequestFactory

from jitsuin.sso.oidc.logout import end_session_url
from tests.sso.oidc.conftest import through_the_provider
from tests.sso.oidc.provider import CLIENT_ID

pytestmark = pytest.mark.django_db


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def request_with(session):  # type: ignore[no-untyped-def]
    request = RequestFactory().post("/account/sso/sign-out/")
    request.session = session
    return request


def test_the_end_session_url_names_the_session_the_client_and_the_way_back(oidc, op, browser):
    through_the_provider(browser)
    url = end_session_url(request_with(browser.session))
    assert url is not None and url.startswith(f"{op.issuer}/session/end?")
    sent = query(url)
    assert sent["client_id"] == CLIENT_ID
    assert sent["post_logout_redirect_uri"] == (
        oidc.JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI
    ) and sent["post_logout_redirect_uri"].endswith("/account/signed-out/")
    hint = jwt.decode(sent["id_token_hint"], options={"verify_signature": False})
    assert (hint["iss"], hint["sub"]) == (op.issuer, "sub-s2310001")
    assert len(sent["state"]) >= 32
    assert sent["state"] != query(end_session_url(request_with(browser.session)))["state"]


def test_no_end_session_url_when_the_provider_has_no_endpoint(oidc, op, browser):
    op.document_changes["end_session_endpoint"] = None
    through_the_provider(browser)
    assert end_session_url(request_with(browser.session)) is None


def test_an_explicit_end_session_endpoint_keeps_its_own_query(oidc, op, browser):
    oidc.JITSUIN_OIDC_ENDPOINTS = {"end_session_endpoint": "https://sso.example.ac.jp/out?realm=u"}
    url = end_session_url(request_with(browser.session))
    assert url is not None and url.startswith("https://sso.example.ac.jp/out?realm=u&")
    assert "id_token_hint" not in query(url)  # nobody signed in here: no hint to give


def test_no_end_session_url_when_the_provider_is_unreachable_and_unknown(oidc, op, browser):
    op.discovery_answer = "hang up"
    assert end_session_url(request_with(browser.session)) is None


def test_signing_out_goes_through_the_provider(oidc, op, browser):
    through_the_provider(browser)
    answer = browser.post("/account/sso/sign-out/")
    # A page that moves on (meta refresh), not a redirect: the CSP's form-action 'self' would
    # stop a POST's redirect to the provider in a real browser.
    assert answer.status_code == 200
    url = answer.context["url"]
    assert url.startswith(f"{op.issuer}/session/end?")
    assert 'http-equiv="refresh"' in answer.content.decode()
    assert "id_token_hint" in query(url)
    assert "_auth_user_id" not in browser.session
