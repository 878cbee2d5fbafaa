"""The console's tables: the permissions roles are made of (no table), and the stuck queue's
claims and snoozes."""

from datetime import datetime

from django.db import models


class ConsoleAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("open_console", "Open the staff console"),
            ("view_people", "Search people and see their whole history"),
            ("act_on_requests", "Retry or cancel requests, revoke or issue on a user's behalf"),
            ("grant_exceptions", "Grant rollover exceptions"),
            ("resend_notifications", "Resend e-mail notifications"),
            ("manage_notices", "Publish notices"),
            ("manage_maintenance", "Schedule maintenance windows"),
            ("view_audit", "Read and export the audit log"),
            ("manage_authorities", "Manage the CA hierarchy"),
            ("view_campaigns", "Follow switchover campaigns and their stragglers"),
            ("manage_campaigns", "Create, start and steer switchover campaigns"),
            ("manage_api_tokens", "Create and revoke API tokens"),
            ("view_relying_parties", "See which RADIUS and VPN servers keep up with the CRLs"),
            ("recover_keys", "Ask for and approve recoveries of someone else's archived key"),
        ]

    def __str__(self) -> str:
        return "console access"


class StuckClaim(models.Model):
    """The stuck queue's own record of a request: who handles it since when, and a snooze.

    Staff work; the request's own state stays in lifecycle. Changed only through
    ``console.stuck`` (each change audited on the request).
    """

    request = models.OneToOneField(
        "lifecycle.Request",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stuck_claim",
    )
    holder = models.CharField(max_length=200, blank=True, help_text="staff:USERNAME")
    claimed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snoozed_by = models.CharField(max_length=200, blank=True)
    snooze_note = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"stuck claim on request {self.request_id}"

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now
