from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ROOT = "root", _("Root CA")
    INTERMEDIATE = "intermediate", _("Intermediate CA")


class AuthorityStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active (issuing)")
    RETIRED = "retired", _("Retired")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class AuthorityQuerySet(models.QuerySet["Authority"]):
    def roots(self) -> AuthorityQuerySet:
        return self.filter(role=Role.ROOT)

    def intermediates(self) -> AuthorityQuerySet:
        return self.filter(role=Role.INTERMEDIATE)

    def issuing(self) -> AuthorityQuerySet:
        return self.filter(role=Role.INTERMEDIATE, status=AuthorityStatus.ACTIVE)


class Authority(models.Model):
    """A CA. Its private key lives in a key store; this row keeps only the reference."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(
        max_length=20, choices=AuthorityStatus.choices, default=AuthorityStatus.PENDING
    )
    certificate_der = models.BinaryField()
    key_ref = models.CharField(max_length=300)
    subject = models.CharField(max_length=500)
    serial = models.CharField(max_length=60)  # Serial(...).db, as Certificate.serial
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    # Delegated OCSP responder for the certificates this CA issues.
    ocsp_certificate_der = models.BinaryField(null=True, blank=True)
    ocsp_key_ref = models.CharField(max_length=300, blank=True)
    crl_number = models.BigIntegerField(default=0)
    # Set now or in the future (a scheduled revocation); effective once it has passed.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=40, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["role", "not_before", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["role"],
                condition=Q(status="active", role="intermediate"),
                name="one_issuing_intermediate",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The publishing engine's models (CRLs, pending publications, pre-signed OCSP responses).
from jitsuin.authorities.publishing.models import (  # noqa: E402, F401
    OcspResponse,
    OcspStatus,
    PendingPublication,
    PublishedCrl,
)
