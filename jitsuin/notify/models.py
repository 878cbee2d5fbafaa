"""The e-mail outbox and the notices (お知らせ) shown in the portal."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Gave up")


class OutboxMessage(models.Model):
    """One e-mail, rendered when its event happened, sent at most once.

    ``key`` names the event (``revoked:42``): a second enqueue with the same key is a no-op,
    so a retried task or a repeated signal never makes a second e-mail.
    """

    key = models.CharField(max_length=200, unique=True)
    event = models.CharField(max_length=60, db_index=True)
    person = models.ForeignKey(
        "lifecycle.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    to = models.CharField(max_length=254)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # Stable across retries, so a receiving system can see a repeat for what it is.
    message_id = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING, db_index=True
    )
    created_at = models.DateTimeField(db_index=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} -> {self.to} ({self.state})"


# The contract name other helpers code against.
Outbox = OutboxMessage


class Importance(models.TextChoices):
    INFO = "info", _("Information")
    IMPORTANT = "important", _("Important")
    URGENT = "urgent", _("Urgent")


class NoticeQuerySet(models.QuerySet["Notice"]):
    def published(self, now: datetime) -> NoticeQuerySet:
        """Notices visible at ``now``: published, not yet withdrawn; urgent first, newest first."""
        return self.filter(publish_at__lte=now).filter(
            Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now)
        )


class Notice(models.Model):
    """お知らせ: a notice in Japanese and English for the portal."""

    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_ja = models.TextField()
    body_en = models.TextField()
    importance = models.CharField(
        max_length=10, choices=Importance.choices, default=Importance.INFO
    )
    publish_at = models.DateTimeField(db_index=True)
    unpublish_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=models.F("publish_at")),
                name="notice_unpublished_after_published",
            )
        ]

    def __str__(self) -> str:
        return self.title_en or self.title_ja

    def title(self, language: str = "ja") -> str:
        return self.title_ja if language == "ja" else (self.title_en or self.title_ja)

    def body(self, language: str = "ja") -> str:
        return self.body_ja if language == "ja" else (self.body_en or self.body_ja)


class ServerUrl(models.Model):
    """The public URL (``JITSUIN_PUBLIC_URL``) of the running web server, one row.

    The server writes it when it starts (``notify.public_url.record_server_url``); links in
    e-mails use it, so mail queued by the CLI or the worker never points anywhere else.
    """

    url = models.CharField(max_length=500)
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url
