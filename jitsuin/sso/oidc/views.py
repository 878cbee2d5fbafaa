"""The OpenID Connect sign-in pages: mozilla-django-oidc's views, with the provider's endpoints
from discovery and every failure on jitsuin's bilingual refusal page (never a bare 400/500)."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from jitsuin.sso.identities import SsoRefused
from jitsuin.sso.oidc.discovery import provider
from jitsuin.sso.oidc.fetch import OpUnavailable
from jitsuin.sso.responses import mark_session, refusal_page

LOGGER = logging.getLogger(__name__)

# How long the sign-in start waits to learn whether the provider's login page answers.
PROBE_TIMEOUT = 3.0


def _issuer() -> str:
    return str(getattr(settings, "JITSUIN_OIDC_ISSUER", ""))


def page(request: HttpRequest, refused: SsoRefused, status: int = 403) -> HttpResponse:
    """The refusal page (audited), and one warning line in the log with the detail."""
    LOGGER.warning("OIDC sign-in refused (%s, %s): %s", refused.reason, status, refused)
    response = refusal_page(request, refused, status=status)
    # Logged above; django.request would log it again (a 502 even as an ERROR of jitsuin's).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def refuse(request: HttpRequest, reason: str, status: int, detail: str = "") -> HttpResponse:
    """The refusal page for ``reason``; the detail goes to the audit record, not the page."""
    refused = SsoRefused(reason, method="oidc", issuer=_issuer(), detail=detail[:500])
    return page(request, refused, status)


def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The provider is down or failing: the page, 502 (the provider's fault, not jitsuin's)."""
    return refuse(request, "idp-unavailable", 502, str(exc))


def _answers(url: str) -> None:
    """``OpUnavailable`` when ``url`` does not answer, or its gateway says it is down (502-504):
    the browser would otherwise meet a connection error there, with no way back. Any other
    answer will do (a provider may well answer 400 or 500 to a request without parameters)."""
    try:
        response = requests.get(
            url,
            timeout=min(PROBE_TIMEOUT, float(getattr(settings, "OIDC_TIMEOUT", PROBE_TIMEOUT))),
            allow_redirects=False,
            stream=True,
            verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            proxies=getattr(settings, "OIDC_PROXY", None),
        )
        response.close()
    except requests.RequestException as exc:
        raise OpUnavailable(f"{url}: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code in (502, 503, 504):
        raise OpUnavailable(f"{url}: HTTP {response.status_code}")


class SignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorization endpoint (state, nonce, PKCE)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # mozilla reads the authorization endpoint from settings here; it is discovered in get().
        View.__init__(self, *args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().require("authorization_endpoint")
            _answers(self.OIDC_OP_AUTH_ENDPOINT)
        except OpUnavailable as exc:
            return unavailable(request, exc)
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged and checked, and the
    person signed in by (issuer, subject) — or told, on the refusal page, why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        error = request.GET.get("error")
        if error:
            self._forget_state(request)
            if error == "access_denied":
                return refuse(request, "cancelled", 403, error)
            # repr: these come from the browser and must stay one line in the log.
            description = request.GET.get("error_description", "")[:300]
            return unavailable(
                request, OpUnavailable(f"authorization error {error[:100]!r}: {description!r}")
            )
        state = request.GET.get("state")
        states = request.session.get("oidc_states")
        if not request.GET.get("code") or not isinstance(states, dict) or state not in states:
            # Replayed (the state is used up), expired, from another browser, or forged.
            return refuse(request, "state", 400, "unknown or used state")
        entry = states.pop(state)
        request.session.save()  # used up before the slow token exchange, against replays
        # Reloaded, as mozilla does, so parallel tabs' session changes are not overwritten.
        request.session = request.session.__class__(request.session.session_key)
        try:
            self.user = auth.authenticate(
                request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
            )
        except SsoRefused as exc:
            return page(request, exc)
        except OpUnavailable as exc:
            return unavailable(request, exc)
        except SuspiciousOperation as exc:
            return refuse(request, "token", 400, str(exc))
        if self.user is None:
            return refuse(request, "token", 400, "no backend accepted the callback")
        response = self.login_success()
        mark_session(request, "oidc")
        return response

    @staticmethod
    def _forget_state(request: HttpRequest) -> None:
        states = request.session.get("oidc_states")
        if isinstance(states, dict) and states.pop(request.GET.get("state", ""), None):
            request.session.save()


class SignOut(View):
    """mozilla's ``oidc_logout``: on to jitsuin's one sign-out (307 keeps the POST), which ends
    the provider's session too (``jitsuin.sso.oidc.logout.end_session_url``)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("sso_sign_out"), status=307)
