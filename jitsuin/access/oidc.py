"""OpenID Connect users are Django users named by a directory claim (the person's uid)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class UidOIDCBackend(OIDCAuthenticationBackend):
    """Match and create users by the configured username claim (``preferred_username``)."""

    def _uid(self, claims: dict[str, Any]) -> str:
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or "")

    def filter_users_by_claims(self, claims: dict[str, Any]):  # type: ignore[no-untyped-def]
        uid = self._uid(claims)
        if not uid:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=uid)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self._uid(claims)) and super().verify_claims(claims)

    def create_user(self, claims: dict[str, Any]):  # type: ignore[no-untyped-def]
        return self.UserModel.objects.create_user(
            username=self._uid(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
        )
