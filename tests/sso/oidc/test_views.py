"""Every way an OpenID Connect sign-in can fail ends on the bilingual refusal page, with a
status that says whose fault it was, and in the log as one line — never a bare 400 or a 500."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from jitsuin.audit.models import AuditEvent
from jitsuin.sso.models import SsoIdentity
from tests.sso.oidc.conftest import through_the_provider

pytestmark = pytest.mark.django_db

REFUSED_JA = "サインインできませんでした"
UNAVAILABLE_JA = "学内認証サービスが応答しませんでした"


def reasons() -> list[str]:
    events = AuditEvent.objects.filter(action="access.sso_refused").order_by("id")
    return [event.data["reason"] for event in events]


def test_a_replayed_callback_is_refused_with_the_state_page(oidc, op, browser, caplog):
    first, callback = through_the_provider(browser)
    assert first.status_code == 302
    caplog.clear()
    again = browser.get(callback)
    assert again.status_code == 400
    assert REFUSED_JA in again.content.decode() and "state" in again.content.decode()
    assert reasons() == ["state"]
    assert SsoIdentity.objects.count() == 1
    assert [r.name for r in caplog.records] == ["jitsuin.sso.oidc.views"]  # not a bare 400


def test_a_callback_in_another_browser_is_refused_with_the_state_page(oidc, op, browser):
    begun = browser.get("/account/oidc/authenticate/")
    at_provider = requests.get(begun["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    elsewhere = type(browser)().get(f"{back.path}?{back.query}")
    assert elsewhere.status_code == 400 and reasons() == ["state"]
    assert not SsoIdentity.objects.exists()


def test_a_forged_state_is_refused(oidc, op, browser):
    browser.get("/account/oidc/authenticate/")
    answer = browser.get("/account/oidc/callback/", {"code": "x", "state": "forged"})
    assert answer.status_code == 400 and reasons() == ["state"]
    assert op.token_requests == []  # no code is exchanged for an unknown state


@pytest.mark.parametrize("failure", [503, 500, "hang up"])
def test_a_failing_token_endpoint_gives_the_unavailable_page_and_one_warning(
    oidc, op, browser, caplog, failure
):
    op.token_answer = failure
    with caplog.at_level(logging.INFO):
        answer, _ = through_the_provider(browser)
    assert answer.status_code == 502
    assert UNAVAILABLE_JA in answer.content.decode()
    assert reasons() == ["idp-unavailable"]
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.levelname, r.name) for r in problems] == [("WARNING", "jitsuin.sso.oidc.views")]
    assert "\n" not in problems[0].getMessage() and problems[0].exc_info is None


def test_a_code_the_token_endpoint_refuses_gives_the_token_page(oidc, op, browser):
    begun = browser.get("/account/oidc/authenticate/")
    at_provider = requests.get(begun["Location"], allow_redirects=False, timeout=10)
    op.codes.clear()  # the code was used already, or expired at the provider
    back = urlsplit(at_provider.headers["Location"])
    answer = browser.get(f"{back.path}?{back.query}")
    assert answer.status_code == 400 and reasons() == ["token"]


def test_cancelling_at_the_provider_says_so(oidc, op, browser):
    begun = browser.get("/account/oidc/authenticate/")
    state = parse_qs(urlsplit(begun["Location"]).query)["state"][0]
    answer = browser.get("/account/oidc/callback/", {"error": "access_denied", "state": state})
    assert answer.status_code == 403
    assert "取り消されました" in answer.content.decode()
    assert reasons() == ["cancelled"]
    assert state not in browser.session["oidc_states"]  # the state cannot be used afterwards


def test_a_provider_error_answer_gives_the_unavailable_page(oidc, op, browser, caplog):
    browser.get("/account/oidc/authenticate/")
    answer = browser.get(
        "/account/oidc/callback/",
        {"error": "temporarily_unavailable", "error_description": "down\nFAKE LINE", "state": "s"},
    )
    assert answer.status_code == 502 and reasons() == ["idp-unavailable"]
    assert ["\n" in r.getMessage() for r in caplog.records] == [False]


@pytest.mark.parametrize(
    ("part", "failure"),
    [("discovery", "hang up"), ("authorization", "hang up"), ("authorization", 503)],
)
def test_a_provider_that_does_not_answer_at_the_start_gives_the_page(
    oidc, op, browser, part, failure
):
    setattr(op, f"{part}_answer", failure)
    answer = browser.get("/account/oidc/authenticate/")
    assert answer.status_code == 502
    assert UNAVAILABLE_JA in answer.content.decode()
    assert reasons() == ["idp-unavailable"]


def test_the_sign_in_starts_from_the_last_good_copy_when_discovery_fails(oidc, op, browser):
    through_the_provider(browser)
    from jitsuin.sso.oidc import discovery

    discovery.forget_all()  # as after a restart; the copy on disk stays
    op.discovery_answer = 503
    answer, _ = through_the_provider(type(browser)())
    assert answer.status_code == 302


def test_the_old_logout_url_hands_over_to_the_one_sign_out(oidc, op, browser):
    answer = browser.post("/account/oidc/logout/")
    assert answer.status_code == 307 and answer["Location"] == "/account/sso/sign-out/"
