"""One row per (certificate, relying party's token, NAS), updated in place.

Bounded on purpose: a login does not add a row, it bumps a count and the times of the row of
its (certificate, token, NAS). The table grows with certificates x NASes that saw them, never
with logins, so a flood or years of logins need no purge job; the portal needs only the
latest use. Information only: a sighting never changes a certificate's state.
"""

from __future__ import annotations

from django.db import models

from jitsuin.lifecycle.models import Certificate


class SightingResult(models.TextChoices):
    ACCEPT = "accept"
    REJECT = "reject"


class Sighting(models.Model):
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="sightings")
    # The API token of the relying party that reported it (its name, as the audit log uses it).
    token_name = models.CharField(max_length=64)
    nas_identifier = models.CharField(max_length=253, blank=True)
    nas_ip = models.CharField(max_length=45, blank=True)
    accept_count = models.PositiveBigIntegerField(default=0)
    reject_count = models.PositiveBigIntegerField(default=0)
    last_result = models.CharField(max_length=10, choices=SightingResult.choices)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "token_name", "nas_identifier", "nas_ip"],
                name="one_sighting_per_certificate_token_nas",
            )
        ]
        indexes = [models.Index(fields=["certificate", "last_accepted_at"])]

    def __str__(self) -> str:
        return f"{self.certificate_id} at {self.nas} ({self.token_name})"

    @property
    def nas(self) -> str:
        """The NAS as people know it: its identifier, else its address."""
        return self.nas_identifier or self.nas_ip
