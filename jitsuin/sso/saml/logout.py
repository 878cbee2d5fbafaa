"""Signing out of the IdP too (SAML Single Logout) from jitsuin's Sign-out button."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from djangosaml2.views import _get_subject_id
from saml2.s_utils import UnknownSystemEntity, UnsupportedBinding

from jitsuin.sso.saml.config import sp_config
from jitsuin.sso.saml.metadata import MetadataUnavailable
from jitsuin.sso.saml.views import LogoutInitView

logger = logging.getLogger(__name__)


def idp_logout_possible(request: HttpRequest) -> bool:
    """The session was signed in by an IdP that publishes a SingleLogoutService."""
    saml_session = getattr(request, "saml_session", None)
    if saml_session is None or _get_subject_id(saml_session) is None:
        return False
    try:
        conf = sp_config(request)
    except MetadataUnavailable as exc:
        logger.warning("SAML logout without metadata: %s", exc)
        return False
    view = LogoutInitView()
    view.setup(request)
    _state, client = view.get_state_client(request)
    for idp in client.users.issuers_of_info(_get_subject_id(saml_session)):
        try:
            if conf.metadata.single_logout_service(idp, typ="idpsso"):
                return True
        except (UnknownSystemEntity, UnsupportedBinding):  # pysaml2's way of saying "none"
            continue
    return False


def start_logout(request: HttpRequest) -> HttpResponse | None:
    """Begin SAML Single Logout: sign out of jitsuin and send the browser to the IdP, which
    returns it to ``/account/saml2/ls/`` and then ``LOGOUT_REDIRECT_URL`` (the signed-out page).

    None, with nothing changed, when the IdP has no SingleLogoutService (or the session holds no
    SAML subject): the caller then signs out locally and says the IdP session remains."""
    if not idp_logout_possible(request):
        return None
    view = LogoutInitView()
    view.setup(request)
    # djangosaml2's own protocol steps (LogoutRequest, binding, local logout), not a copy.
    return view.get(request)
