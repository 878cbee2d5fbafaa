"""jitsuin's own SSO pages: a refused sign-in, the sign-out dispatcher, the signed-out page."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import translation

from jitsuin import config
from jitsuin.access.services import SSO_SESSION_METHOD
from jitsuin.audit.models import AuditEvent
from jitsuin.sso import identities
from jitsuin.sso.identities import SsoRefused
from jitsuin.sso.responses import refusal_page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading", "text"),
    [("ja", "サインインできませんでした", "ドメイン"), ("en", "Sign-in refused", "this domain")],
)
def test_a_refusal_is_a_page_in_the_persons_language_and_an_audit_event(language, heading, text):
    request = RequestFactory().get("/account/saml2/acs/")
    request.client_address = "192.0.2.7"
    refused = SsoRefused("scope", method="saml", issuer="https://evil/idp", uid="s1@example.ac.jp")
    with translation.override(language):
        response = refusal_page(request, refused)
    body = response.content.decode()
    assert response.status_code == 403
    assert heading in body and text in body and "scope" in body
    event = AuditEvent.objects.get(action="access.sso_refused")
    assert event.data["reason"] == "scope"
    assert event.data["issuer"] == "https://evil/idp"
    assert event.data["address"] == "192.0.2.7"


def test_a_password_session_signs_out_locally_as_before(client):
    get_user_model().objects.create_user("alice", password="pw-123456789")
    client.force_login(get_user_model().objects.get(username="alice"))
    response = client.post("/account/logout/")
    assert response.status_code == 302 and response["Location"].endswith("/account/login/")
    assert AuditEvent.objects.get(action="access.signed_out").data == {
        "method": "password",
        "idp": False,
    }


def test_an_sso_session_is_handed_to_the_sso_sign_out_with_its_post(client):
    get_user_model().objects.create_user("alice", password="pw-123456789")
    client.force_login(get_user_model().objects.get(username="alice"))
    session = client.session
    session[SSO_SESSION_METHOD] = "oidc"
    session.save()
    response = client.post("/account/logout/")
    assert response.status_code == 307  # the browser re-POSTs, CSRF token included
    assert response["Location"] == "/account/sso/sign-out/"


def test_the_sso_sign_out_needs_a_post(client):
    assert client.get("/account/sso/sign-out/").status_code == 405


def test_the_signed_out_page_ends_a_session_left_open(client):
    get_user_model().objects.create_user("alice", password="pw-123456789")
    client.force_login(get_user_model().objects.get(username="alice"))
    response = client.get("/account/signed-out/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b"campus sign-in service" in response.content
    assert "_auth_user_id" not in client.session


def test_refusals_from_one_address_cannot_flood_the_audit_log(monkeypatch):
    limited = dataclasses.replace(config.current(), login_address_limit=3)
    monkeypatch.setattr(identities, "current", lambda: limited)
    replayed = SsoRefused("state", method="oidc", issuer="https://op.example.ac.jp")
    for address in ["192.0.2.7"] * 5 + ["192.0.2.8"]:
        request = RequestFactory().get("/account/oidc/callback/")
        request.client_address = address
        assert refusal_page(request, replayed, status=400).status_code == 400  # page always
    audited = AuditEvent.objects.filter(action="access.sso_refused")
    assert [e.data["address"] for e in audited.order_by("id")] == ["192.0.2.7"] * 3 + ["192.0.2.8"]
