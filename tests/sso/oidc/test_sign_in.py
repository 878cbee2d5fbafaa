"""A person signs in through the provider by (iss, sub), and only with an ID token that passes
every check of OpenID Connect Core 3.1.3.7."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.utils import translation

from jitsuin.access.services import SSO_SESSION_METHOD
from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle.models import Person
from jitsuin.sso.models import SsoIdentity
from jitsuin.sso.oidc import keys
from tests.sso.oidc.conftest import through_the_provider
from tests.sso.oidc.provider import CLIENT_ID, CLIENT_SECRET
from tests.sso.oidc.provider import Person as OpPerson

pytestmark = pytest.mark.django_db

REFUSED_JA = "サインインできませんでした"
REASON_JA = "理由コード: {}"


def refusal() -> dict:
    """The audit record of the last refused sign-in."""
    return AuditEvent.objects.filter(action="access.sso_refused").latest("id").data


def signed_in_user(browser):  # type: ignore[no-untyped-def]
    return browser.session.get("_auth_user_id")


def test_a_person_signs_in_and_is_bound_by_issuer_and_subject(oidc, op, browser):
    person = Person.objects.create(uid="s2310001", email="s2310001@example.ac.jp")
    answer, _ = through_the_provider(browser, next="/certificates/")
    assert answer.status_code == 302 and answer["Location"] == "/certificates/"
    identity = SsoIdentity.objects.get()
    assert (identity.issuer, identity.subject, identity.uid) == (
        op.issuer,
        "sub-s2310001",
        "s2310001",
    )
    assert signed_in_user(browser) == str(identity.user.pk)
    assert browser.session[SSO_SESSION_METHOD] == "oidc"
    assert browser.session["oidc_id_token"].count(".") == 2  # kept for RP-initiated logout
    person.refresh_from_db()
    assert person.user == identity.user


def test_the_sign_in_request_carries_state_nonce_and_pkce(oidc, op, browser):
    begun = browser.get("/account/oidc/authenticate/")
    sent = {k: v[0] for k, v in parse_qs(urlsplit(begun["Location"]).query).items()}
    assert begun["Location"].startswith(f"{op.issuer}/auth?")
    assert sent["client_id"] == CLIENT_ID and sent["response_type"] == "code"
    assert sent["scope"] == "openid email profile"
    assert sent["redirect_uri"] == "http://testserver/account/oidc/callback/"
    assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32
    assert sent["code_challenge_method"] == "S256"


def test_another_subject_with_the_same_username_does_not_get_the_account(oidc, op, browser):
    through_the_provider(browser)
    first = SsoIdentity.objects.get().user
    op.person = OpPerson("sub-imposter", {"preferred_username": "s2310001"})
    other = type(browser)()
    answer, _ = through_the_provider(other)
    assert answer.status_code == 403
    assert REASON_JA.format("uid-taken") in answer.content.decode()
    assert signed_in_user(other) is None
    assert list(SsoIdentity.objects.values_list("subject", flat=True)) == ["sub-s2310001"]
    assert get_user_model().objects.get() == first


def test_a_person_without_an_email_claim_signs_in_with_a_directory_entry(oidc, op, browser):
    Person.objects.create(uid="s2310001", email="s2310001@example.ac.jp")
    del op.person.claims["email"]
    op.person.claims["email_verified"] = False
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 302
    identity = SsoIdentity.objects.get()
    assert "email" not in identity.attributes
    assert identity.user.email == ""
    assert Person.objects.get().user == identity.user


def test_without_an_email_claim_or_directory_entry_creation_is_refused_by_name(oidc, op, browser):
    oidc.JITSUIN_SSO_PROVISIONING = "create"
    del op.person.claims["email"]
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 403
    assert REASON_JA.format("no-email") in answer.content.decode()


def test_names_and_affiliation_reach_the_directory_entry(oidc, op, browser):
    oidc.JITSUIN_SSO_PROVISIONING = "create"
    op.person.claims["eduperson_affiliation"] = ["student", "member"]
    through_the_provider(browser)
    person = Person.objects.get()
    assert (person.uid, person.email) == ("s2310001", "s2310001@example.ac.jp")
    assert (person.name_en, person.name_ja) == ("Taro Yamada", "山田 太郎")
    assert person.affiliation == "student, member"


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("changes", "alg", "why"),
    [
        ({"iss": "https://evil.example.org"}, "RS256", "Invalid issuer"),
        ({"aud": "some-other-client"}, "RS256", "Audience doesn't match"),
        ({"aud": ["some-other-client", CLIENT_ID]}, "RS256", "authorized party None"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "RS256", "authorized party 'other'"),
        ({"azp": "other"}, "RS256", "authorized party 'other'"),
        ({"exp": now() - 120}, "RS256", "Signature has expired"),  # beyond the 60 s leeway
        ({"exp": None}, "RS256", '"exp"'),
        ({"iat": None}, "RS256", '"iat"'),
        ({"iat": now() + 3600}, "RS256", "not yet valid (iat)"),
        ({"nonce": None}, "RS256", "nonce"),
        ({"nonce": "another-sign-in"}, "RS256", "nonce"),
        ({}, "RS512", "signed with 'RS512', not RS256"),  # the provider's key, another alg
        ({}, "HS256", "signed with 'HS256', not RS256"),  # alg confusion: the client secret
    ],
    ids=[
        "wrong-iss",
        "wrong-aud",
        "several-aud-no-azp",
        "azp-other",
        "azp-other-single-aud",
        "expired",
        "no-exp",
        "no-iat",
        "iat-far-future",
        "no-nonce",
        "other-nonce",
        "alg-RS512",
        "alg-HS256",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_an_id_token_failing_a_check_is_refused_on_the_page(oidc, op, browser, changes, alg, why):
    op.id_token_changes = changes
    op.id_token_alg = alg
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert REFUSED_JA in page and REASON_JA.format("token") in page
    assert refusal()["reason"] == "token" and why in refusal()["detail"]
    assert signed_in_user(browser) is None
    assert not SsoIdentity.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"iat": now() + 5},  # the provider's clock 5 s ahead (a 500 before)
        {"exp": now() - 30},  # just expired, within the leeway
        {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID},
    ],
    ids=["iat-5s-ahead", "exp-30s-ago", "several-aud-with-azp"],
)
def test_an_id_token_within_the_rules_is_accepted(oidc, op, browser, changes):
    op.id_token_changes = changes
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert signed_in_user(browser) is not None


def test_without_leeway_a_token_from_a_clock_ahead_is_refused(oidc, op, browser):
    oidc.JITSUIN_SSO_CLOCK_SKEW = 0
    op.id_token_changes = {"iat": now() + 5}
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 400
    assert "not yet valid (iat)" in refusal()["detail"]


def test_userinfo_about_another_subject_is_refused(oidc, op, browser):
    op.userinfo_changes = {"sub": "sub-someone-else", "preferred_username": "breakglass"}
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 400
    assert refusal()["reason"] == "token" and "sub-someone-else" in refusal()["detail"]
    assert not get_user_model().objects.exists()


def test_a_provider_without_userinfo_signs_in_from_the_id_token(oidc, op, browser):
    op.document_changes["userinfo_endpoint"] = None
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 302
    assert "/me" not in op.requests


def test_the_refusal_page_speaks_english_to_an_english_browser(oidc, op, browser):
    op.id_token_changes = {"iss": "https://evil.example.org"}
    with translation.override("en"):
        browser.cookies["jitsuin_lang"] = "en"
        answer, _ = through_the_provider(browser)
    assert "could not be verified" in answer.content.decode()


def test_the_client_secret_is_posted_where_the_provider_takes_it(oidc, op, browser):
    through_the_provider(browser)
    assert op.token_requests[-1]["client_secret"] == [CLIENT_SECRET]
    assert op.token_requests[-1]["code_verifier"]  # PKCE, checked by the provider


def test_the_client_secret_goes_in_the_header_to_a_basic_only_provider(oidc, op, browser):
    op.document_changes["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 302
    assert "client_secret" not in op.token_requests[-1]
    assert op.token_headers[-1]["Authorization"].startswith("Basic ")


def test_a_key_rollover_at_the_provider_is_followed(oidc, op, browser, monkeypatch):
    through_the_provider(browser)
    monkeypatch.setattr(keys, "REFETCH_AFTER", 0.0)  # the rate limit of refetches, not tested here
    op.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    op.kid = "key-2"
    answer, _ = through_the_provider(type(browser)())
    assert answer.status_code == 302
    assert op.requests.count("/jwks") == 2


def test_a_token_signed_by_a_key_the_provider_does_not_publish_is_refused(oidc, op, browser):
    published = op.jwks()
    op.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    op.jwks = lambda: published  # type: ignore[method-assign]
    answer, _ = through_the_provider(browser)
    assert answer.status_code == 400
    assert "Signature verification failed" in refusal()["detail"]
