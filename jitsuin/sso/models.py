"""An SSO identity: who the IdP says signed in, bound to one Django user."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SsoMethod(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML"


class SsoIdentity(models.Model):
    """(issuer, subject) as the IdP asserts it — OIDC ``iss`` + ``sub``, or the SAML IdP's
    entityID + scoped ePPN — bound to the Django user it signs in as.

    Users are reached only through this binding, never by name: an IdP user named like a
    local account, or another subject with the same display name, gets no one else's account.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    method = models.CharField(max_length=8, choices=SsoMethod.choices)
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=500)
    # The directory uid the IdP gave at the last sign-in (it may differ from the user's name
    # after a rename at the IdP; the binding stays).
    uid = models.CharField(max_length=150)
    attributes = models.JSONField(default=dict, blank=True)
    linked_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")
        ]
        verbose_name_plural = "SSO identities"

    def __str__(self) -> str:
        return f"{self.method} {self.subject} @ {self.issuer}"
