"""The console owns no data; this table-less model carries the permissions roles are made of."""

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
        ]

    def __str__(self) -> str:
        return "console access"
