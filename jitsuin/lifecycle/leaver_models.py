"""A leaver's table: one deactivation of a person and its grace (``lifecycle.leavers`` changes
it). Re-exported by ``lifecycle.models``, where Django and the rest of the code find it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LeaverState(models.TextChoices):
    PENDING = "pending", _("Leaving: certificates revoked when the grace ends")
    DONE = "done", _("Left: certificates revoked")
    CANCELLED = "cancelled", _("Reactivated within the grace")


class Leaver(models.Model):
    """One deactivation of a person (lifecycle.leavers): its grace, and whether it was carried
    out (certificates revoked, pickups wiped, e-mails sent) or cancelled by a reactivation."""

    person = models.ForeignKey("lifecycle.Person", on_delete=models.PROTECT, related_name="leavers")
    state = models.CharField(
        max_length=20, choices=LeaverState.choices, default=LeaverState.PENDING
    )
    reason = models.TextField(blank=True)
    deactivated_by = models.CharField(max_length=200)
    deactivated_at = models.DateTimeField()
    grace_ends_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-deactivated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(state="pending"),
                name="one_pending_leaver_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"leaver {self.person_id} {self.state}"
