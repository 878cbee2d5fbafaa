"""Signing out of jitsuin and of the IdP, and the page the IdP returns to afterwards."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jitsuin.access.services import SSO_SESSION_METHOD, record_sign_out
from jitsuin.sso.oidc.logout import end_session_url
from jitsuin.sso.saml.logout import start_logout


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out of jitsuin and, where the IdP supports it, of the IdP (SAML SLO, OIDC
    RP-initiated logout): on a shared PC the next person must meet the IdP's login form."""
    method = request.session.get(SSO_SESSION_METHOD, "")
    if method == "saml":
        user = request.user
        response = start_logout(request)  # djangosaml2 ends the local session here
        if response is not None:
            record_sign_out(user, method=method, idp=True)
            if isinstance(response, HttpResponseRedirect):
                return _to_the_idp(request, response["Location"])
            return response
    elif method == "oidc":
        url = end_session_url(request)
        if url is not None:
            record_sign_out(request.user, method=method, idp=True)
            logout(request)
            return _to_the_idp(request, url)
    record_sign_out(request.user, method=method or "password", idp=False)
    logout(request)
    if method:
        messages.warning(
            request,
            _(
                "You have signed out of this portal, but the campus sign-in service cannot "
                "end its own session from here. On a shared computer, close the browser."
            ),
        )
    else:
        messages.info(request, _("You have signed out."))
    return redirect("access:login")


def _to_the_idp(request: HttpRequest, url: str) -> HttpResponse:
    """Send the browser on to the IdP's logout by a page, not a redirect: the portal's CSP
    (``form-action 'self'``) stops a form's POST from being redirected to another site."""
    response = render(request, "sso/to_the_idp.html", {"url": url})
    patch_cache_control(response, no_store=True)
    return response


@never_cache
def signed_out(request: HttpRequest) -> HttpResponse:
    """Where the IdP sends the browser back after ending its session."""
    if request.user.is_authenticated:
        logout(request)
    return render(request, "sso/signed_out.html")
