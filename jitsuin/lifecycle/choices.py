"""The stored vocabularies of certificates and requests (imported by models and querysets)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class RequestKind(models.TextChoices):
    ISSUE = "issue", _("Issue")
    REVOKE = "revoke", _("Revoke")


class RequestState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Accepted but held: a maintenance window, a rollover policy, or a retry backoff.
    WAITING = "waiting", _("Waiting")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready to download")
    COLLECTED = "collected", _("Collected")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


OPEN_STATES = (
    RequestState.QUEUED,
    RequestState.WAITING,
    RequestState.PROCESSING,
    RequestState.FAILED,
)


class RolloverPolicy(models.TextChoices):
    REVOKE_FIRST = "revoke-first", _("Revoke first, then issue")
    ISSUE_WHILE_REVOKING = "issue-while-revoking", _("Issue once revocation is requested")
    OVERLAP = "overlap", _("Overlap: issue while the old one is valid")


class Pkcs12Choice(models.TextChoices):
    COMPATIBLE = "compatible", _("Compatible (all platforms)")
    MODERN = "modern", _("Modern (AES-256)")
