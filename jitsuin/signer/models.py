"""What the signing service keeps: the RAs it answers and every order it carried out."""

from __future__ import annotations

from django.db import models


class RegisteredRa(models.Model):
    """A registration authority allowed to order certificates, known by its client
    certificate (issued by the signer's admin CA). Removed RAs are kept, refused."""

    name = models.CharField(max_length=100, unique=True)
    certificate_fingerprint = models.CharField(max_length=64, unique=True)  # SHA-256, hex
    profiles = models.JSONField(default=list)  # end-entity templates, e.g. ["client-auth"]
    email_domains = models.JSONField(default=list)  # e-mail addresses only in these domains
    organizations = models.JSONField(default=list)  # subject O= only among these
    rate_per_minute = models.PositiveIntegerField(default=600)
    removed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"RA {self.name}"


class OrderKind(models.TextChoices):
    ISSUE = "issue"
    REVOKE = "revoke"


class SignerOrder(models.Model):
    """One order of an RA, carried out once: a repeated idempotency key with the same content
    gets this row's result back, never a second signature."""

    ra = models.ForeignKey(RegisteredRa, on_delete=models.PROTECT, related_name="orders")
    idempotency_key = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=OrderKind.choices)
    digest = models.CharField(max_length=64)  # SHA-256 of the order's content
    issuer = models.ForeignKey(
        "authorities.Authority", on_delete=models.PROTECT, related_name="signer_orders"
    )
    serial = models.CharField(max_length=64)  # Serial(...).db, as Certificate.serial
    certificate_der = models.BinaryField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ra", "idempotency_key"], name="one_order_per_key"),
            models.UniqueConstraint(
                fields=["issuer", "serial"],
                condition=models.Q(kind="revoke"),
                name="one_revocation_per_certificate",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "serial"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.serial} for {self.ra_id}"
