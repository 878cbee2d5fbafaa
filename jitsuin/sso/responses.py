"""What the protocol views (OIDC callback, SAML ACS) answer around a sign-in: the refusal page,
and the session mark that tells sign-out which IdP to sign out of."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jitsuin.access.services import SSO_SESSION_METHOD
from jitsuin.sso.identities import SsoRefused, record_refusal


def mark_session(request: HttpRequest, method: str) -> None:
    """Remember, after Django's login, which IdP signed this session in (for sign-out)."""
    request.session[SSO_SESSION_METHOD] = method


def refusal_page(request: HttpRequest, refused: SsoRefused, status: int = 403) -> HttpResponse:
    """Audit the refusal and tell the person why, in their language, with the next step."""
    record_refusal(request, refused)
    context = {"message": refused.message(), "reason": refused.reason}
    return render(request, "sso/refused.html", context, status=status)
