"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): where to send the browser so
that the provider ends its session too."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest

from jitsuin.sso.oidc.discovery import provider
from jitsuin.sso.oidc.fetch import OpUnavailable

LOGGER = logging.getLogger(__name__)

# Where mozilla-django-oidc keeps the ID token (OIDC_STORE_ID_TOKEN); a session key, no secret.
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105


def end_session_url(request: HttpRequest) -> str | None:
    """The provider's ``end_session_endpoint`` with ``id_token_hint`` (this session's ID token),
    ``post_logout_redirect_uri`` (``<public URL>/account/signed-out/``), ``client_id``, a fresh
    ``state`` and ``ui_locales``; None when the provider has no such endpoint (or cannot be
    reached and no copy of its configuration is kept)."""
    try:
        endpoint = provider().endpoint("end_session_endpoint")
    except OpUnavailable as exc:
        LOGGER.warning("OIDC logout at the provider skipped: %s", exc)
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": settings.JITSUIN_OIDC_POST_LOGOUT_REDIRECT_URI,
        "state": secrets.token_urlsafe(24),
    }
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if isinstance(id_token, str) and id_token:
        params["id_token_hint"] = id_token
    language = getattr(request, "LANGUAGE_CODE", "")
    if language:
        params["ui_locales"] = language
    parts = urlsplit(endpoint)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return urlunsplit(parts._replace(query=query))
