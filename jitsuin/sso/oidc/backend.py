"""The OpenID Connect authentication backend: the code flow of mozilla-django-oidc, with the
endpoints discovered from the issuer, the ID token checked in full, and the person found by
(``iss``, ``sub``) through ``jitsuin.sso.identities`` — never by a name claim alone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify
from requests.auth import HTTPBasicAuth

from jitsuin.sso.identities import sign_in
from jitsuin.sso.oidc import claims as oidc_claims
from jitsuin.sso.oidc import fetch
from jitsuin.sso.oidc.discovery import provider
from jitsuin.sso.oidc.fetch import OpUnavailable, parse_object, read_capped
from jitsuin.sso.oidc.keys import signing_key
from jitsuin.sso.oidc.tokens import TokenRefused, verify_id_token, verify_signed_userinfo


def _oauth_error(body: bytes) -> str:
    """The ``error`` code of an OAuth error answer (RFC 6749 5.2), for the log."""
    try:
        return str(parse_object(body, "").get("error", "?"))[:100]
    except OpUnavailable:
        return "?"


class OidcBackend(OIDCAuthenticationBackend):
    """Signs a person in from an authorization code; raises ``SsoRefused`` (the identity layer),
    ``TokenRefused`` (a token that must not be believed) or ``OpUnavailable``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # mozilla reads the endpoints from settings here; jitsuin discovers them at first use
        # (the endpoint properties below), so building a backend never needs the provider.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 (mozilla's attribute name)
        return provider().require("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:  # noqa: N802
        return provider().endpoint("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider().require("jwks_uri")

    @property
    def issuer(self) -> str:
        return str(settings.JITSUIN_OIDC_ISSUER)

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, *, nonce: str | None, code_verifier: str | None
    ) -> Any:
        """The user of the authorization code in ``request`` (the callback), or None when this
        is not an OpenID Connect callback. Keyword-only: other sign-ins never reach here."""
        if request is None or not request.GET.get("code") or not request.GET.get("state"):
            return None
        self.request = request
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": request.GET["code"],
            "redirect_uri": absolutify(request, reverse("oidc_authentication_callback")),
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        answer = self.get_token(payload)
        id_token: Any = answer.get("id_token")  # checked by verify_token
        access_token: Any = answer.get("access_token")
        id_claims = self.verify_token(id_token, nonce=nonce)
        userinfo = self.get_userinfo(access_token, id_token, id_claims)
        merged = {**id_claims, **userinfo, "iss": id_claims["iss"], "sub": id_claims["sub"]}
        uid_claim = str(getattr(settings, "JITSUIN_OIDC_UID_CLAIM", "preferred_username"))
        user = sign_in(request, oidc_claims.assertion(merged, uid_claim=uid_claim))
        self.store_tokens(access_token, id_token)
        return user

    def _uses_basic_auth(self) -> bool:
        """client_secret_basic only when the provider says it takes no client_secret_post (the
        method jitsuin has always used), as listed in its discovery document."""
        if "token_endpoint" in getattr(settings, "JITSUIN_OIDC_ENDPOINTS", {}):
            return bool(getattr(settings, "OIDC_TOKEN_USE_BASIC_AUTH", False))
        methods = provider().metadata().document.get("token_endpoint_auth_methods_supported")
        return isinstance(methods, list) and "client_secret_post" not in methods

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The token endpoint's answer; ``OpUnavailable`` when it is down or fails (5xx),
        ``TokenRefused`` when it refuses the code (4xx: used, expired, not ours)."""
        url = self.OIDC_OP_TOKEN_ENDPOINT
        auth = None
        if self._uses_basic_auth():
            auth = HTTPBasicAuth(payload["client_id"], payload.pop("client_secret"))
        response = fetch.request(
            "POST", url, data=payload, auth=auth, headers={"Accept": "application/json"}
        )
        body = read_capped(response, url)
        if 400 <= response.status_code < 500:
            raise TokenRefused(
                f"token endpoint refused the code: HTTP {response.status_code} {_oauth_error(body)}"
            )
        if response.status_code != 200:
            raise OpUnavailable(f"{url}: HTTP {response.status_code}")
        return parse_object(body, url)

    def _key(self, token: str) -> Any:
        if self.OIDC_RP_SIGN_ALGO.startswith("HS"):
            return self.OIDC_RP_CLIENT_SECRET.encode()
        return signing_key(
            token, jwks_uri=self.OIDC_OP_JWKS_ENDPOINT, algorithm=self.OIDC_RP_SIGN_ALGO
        )

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The claims of a valid ID token for this sign-in (``nonce``); ``TokenRefused`` else."""
        if not isinstance(token, str) or not token:
            raise TokenRefused("the token endpoint sent no ID token")
        return verify_id_token(
            token,
            self._key(token),
            algorithm=self.OIDC_RP_SIGN_ALGO,
            issuer=self.issuer,
            client_id=self.OIDC_RP_CLIENT_ID,
            leeway=int(getattr(settings, "JITSUIN_SSO_CLOCK_SKEW", 60)),
            nonce=kwargs.get("nonce"),
        )

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The userinfo claims ({} when the provider has no userinfo endpoint); their ``sub``
        must be the ID token's (OIDC Core 5.3.2), else ``TokenRefused``."""
        url = self.OIDC_OP_USER_ENDPOINT
        if not url:
            return {}
        if not isinstance(access_token, str) or not access_token:
            raise TokenRefused("the token endpoint sent no access token")
        response = fetch.request("GET", url, headers={"Authorization": f"Bearer {access_token}"})
        body = read_capped(response, url)
        if response.status_code in (401, 403):
            raise TokenRefused(f"userinfo refused the access token: HTTP {response.status_code}")
        if response.status_code != 200:
            raise OpUnavailable(f"{url}: HTTP {response.status_code}")
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            token = body.decode("ascii", "replace").strip()
            info = verify_signed_userinfo(
                token,
                self._key(token),
                algorithm=self.OIDC_RP_SIGN_ALGO,
                issuer=self.issuer,
                client_id=self.OIDC_RP_CLIENT_ID,
            )
        else:
            info = parse_object(body, url)
        if info.get("sub") != payload["sub"]:
            raise TokenRefused(
                f"userinfo is about subject {info.get('sub')!r}, the ID token about "
                f"{payload['sub']!r}"
            )
        return info

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        """Never: users are reached by (iss, sub) in ``jitsuin.sso.identities`` only."""
        return self.UserModel.objects.none()

    def get_user(self, user_id: Any) -> Any:
        # Django's rule, not mozilla's: a deactivated user's sessions end.
        return ModelBackend.get_user(self, user_id)
