"""The S/MIME key archive's tables: an archived key, and the requests to recover it
(``lifecycle.recovery`` changes them; ``pki.keyarchive`` encrypts). Re-exported by
``lifecycle.models``, where Django and the rest of the code find them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class KeyArchive(models.Model):
    """An S/MIME private key encrypted to the institution's key-recovery public key
    (``pki.keyarchive``); the server cannot open it."""

    certificate = models.OneToOneField(
        "lifecycle.Certificate", on_delete=models.PROTECT, related_name="key_archive"
    )
    encrypted_key = models.BinaryField()
    # key_id() of the recovery public key it was encrypted to.
    recovery_key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"key archive of certificate {self.certificate_id}"


class RecoveryState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval by two CA admins")
    APPROVED = "approved", _("Approved: waiting to be processed with the recovery key")
    RECOVERED = "recovered", _("Recovered: ready to download")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_RECOVERY_STATES = (RecoveryState.AWAITING_APPROVAL, RecoveryState.APPROVED)


class KeyRecovery(models.Model):
    """A request to recover an archived key. The owner's own request is approved at once;
    anyone else's needs two different CA admins (lifecycle.recovery)."""

    archive = models.ForeignKey(KeyArchive, on_delete=models.PROTECT, related_name="recoveries")
    for_owner = models.BooleanField()
    # Who gets the PKCS#12: the owner's account, or the staff member who asked.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="key_recoveries"
    )
    requested_by = models.CharField(max_length=200)
    reason = models.TextField()
    state = models.CharField(max_length=30, choices=RecoveryState.choices)
    created_at = models.DateTimeField()
    first_approver = models.CharField(max_length=200, blank=True)
    first_approved_at = models.DateTimeField(null=True, blank=True)
    second_approver = models.CharField(max_length=200, blank=True)
    second_approved_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.CharField(max_length=200, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["archive", "recipient"],
                condition=Q(state__in=["awaiting_approval", "approved"]),
                name="one_open_recovery_per_archive_and_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"key recovery #{self.pk} {self.state}"
