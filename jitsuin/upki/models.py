"""What was sent to the national service and what came back.

A line is one request's application; it is written before any upload, and a batch row (with
the exact bytes sent) is committed before its upload starts, so that after a crash the
status list can decide whether the service took it: never uploaded twice. Lines name their
request by id only: connectors know nothing of request rows (connectors/base.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jitsuin.upstream.mails import Kind


class ApplyType(models.IntegerChoices):
    ISSUE = 1, _("Issue")
    RENEW = 2, _("Renew")
    REVOKE = 3, _("Revoke")


class BatchState(models.TextChoices):
    UPLOADING = "uploading", _("Uploading")  # recorded, upload started, no answer yet
    ANSWERED = "answered", _("Answered")  # the result page was read
    REFUSED = "refused", _("Refused")  # the error page: the service took nothing
    NOT_TAKEN = "not_taken", _("Not taken")  # maintenance or no connection: lines go again
    UNCERTAIN = "uncertain", _("Uncertain")  # sent, answer lost: the status list decides
    RECONCILED = "reconciled", _("Reconciled")  # an uncertain batch, decided line by line


class LineState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the next batch")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted by the service")
    READY = "ready", _("File collected")
    DONE = "done", _("Done")
    FAILED = "failed", _("Refused by the service")


class Batch(models.Model):
    apply_type = models.PositiveSmallIntegerField(choices=ApplyType.choices)
    state = models.CharField(max_length=20, choices=BatchState.choices)
    tsv = models.BinaryField()  # exactly what was (or was about to be) uploaded
    result_page = models.BinaryField(blank=True, default=b"")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.get_apply_type_display()}, {self.state})"


class Line(models.Model):
    request_id = models.BigIntegerField(unique=True)
    apply_type = models.PositiveSmallIntegerField(choices=ApplyType.choices)
    state = models.CharField(max_length=20, choices=LineState.choices, default=LineState.QUEUED)
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    seq = models.PositiveIntegerField(null=True, blank=True)  # its line number in the batch
    dn = models.CharField(max_length=250, db_index=True)
    profile_id = models.CharField(max_length=2, blank=True)
    user_name = models.CharField(max_length=200, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    user_department = models.CharField(max_length=200, blank=True)
    serial = models.CharField(max_length=60, blank=True)  # decimal: the old or revoked one
    reason = models.CharField(max_length=2, blank=True)
    # The access PIN of column 15 (bulk download) sealed; the .p12 sealed once collected.
    pin_sealed = models.BinaryField(blank=True, default=b"")
    p12_sealed = models.BinaryField(blank=True, default=b"")
    issued_serial = models.CharField(max_length=60, blank=True)  # decimal
    # The status list showed that certificate revoked (状態 7), whoever asked the service.
    revoked_at_service = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=10, blank=True)
    error = models.TextField(blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "apply_type", "created_at"])]

    def __str__(self) -> str:
        return f"line {self.pk} (request {self.request_id}, {self.state})"


class MailState(models.TextChoices):
    UNMATCHED = "unmatched", _("Not matched yet")
    MATCHED = "matched", _("Matched")
    DUPLICATE = "duplicate", _("Duplicate")
    UNTRUSTED = "untrusted", _("Signature not trusted")
    UNREADABLE = "unreadable", _("Not a notice of the service")


class Mail(models.Model):
    message_id = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=60, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=20, choices=MailState.choices)
    line = models.ForeignKey(
        Line, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    # The one-time URL (a credential): sealed until followed, its hash, what may be shown.
    url_sealed = models.BinaryField(blank=True, default=b"")
    url_hash = models.CharField(max_length=64, blank=True, db_index=True)
    url_shown = models.CharField(max_length=300, blank=True)
    dn = models.CharField(max_length=250, blank=True)
    serial = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    followed_at = models.DateTimeField(null=True, blank=True)  # its one-time URL was used
    received_at = models.DateTimeField()
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self) -> str:
        return f"mail {self.message_id} ({self.kind}, {self.state})"

    @property
    def kind_label(self) -> str:
        """The notice's name as the service's subject says it (クライアント証明書取得通知)."""
        return (
            Kind[self.kind].value.removeprefix("[UPKI] ") if self.kind in Kind.__members__ else ""
        )
