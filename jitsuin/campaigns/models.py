"""A CA switchover campaign: who is affected, how far they got, and when the old CA goes."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.models import Certificate, Person

DEFAULT_SUMMARY_LEAD = timedelta(days=3)


def default_reminder_days() -> list[int]:
    return [30, 14, 7, 3, 1]


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    STARTED = "started", _("Started")
    AWAITING_CONFIRMATION = "awaiting", _("Awaiting confirmation of the revocation")
    CONFIRMED = "confirmed", _("Revocation confirmed")
    COMPLETED = "completed", _("Completed: old CA revoked")
    CANCELLED = "cancelled", _("Cancelled")


RUNNING_STATES = (
    CampaignState.STARTED,
    CampaignState.AWAITING_CONFIRMATION,
    CampaignState.CONFIRMED,
)


class Campaign(models.Model):
    """One intermediate (or several) replaced by another, with a date the old ones are revoked."""

    name = models.SlugField(max_length=80, unique=True)
    old_authorities = models.ManyToManyField(Authority, related_name="retired_by_campaigns")
    new_authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="introduced_by_campaigns"
    )
    # From the cut-off the new intermediate issues; the campaign starts then.
    cutoff = models.DateTimeField()
    # On the deadline the old intermediates are revoked (after the CA admin's confirmation).
    deadline = models.DateTimeField()
    reminder_days = models.JSONField(
        default=default_reminder_days,
        help_text="Days before the deadline on which those not yet migrated get a reminder.",
    )
    # How long before the deadline the final summary is prepared for the CA admin.
    summary_lead = models.DurationField(default=DEFAULT_SUMMARY_LEAD)
    subject_ja = models.CharField(max_length=200, blank=True)
    subject_en = models.CharField(max_length=200, blank=True)
    body_ja = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    summary_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=200, blank=True)
    # Dual control: the first CA admin's confirmation waits here for a different second one
    # (campaigns/approvals.py); postpone, cancel and a new summary clear it.
    first_confirmed_by = models.CharField(max_length=200, blank=True)
    first_confirmed_at = models.DateTimeField(null=True, blank=True)
    first_confirmation_reason = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    preflight = models.JSONField(default=list, blank=True)
    preflight_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("cutoff")), name="campaign_deadline_after_cutoff"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def subject(self, language: str = "ja") -> str:
        return self.subject_ja if language == "ja" else (self.subject_en or self.subject_ja)

    def body(self, language: str = "ja") -> str:
        return self.body_ja if language == "ja" else (self.body_en or self.body_ja)


class Member(models.Model):
    """A person affected when the campaign started: held a valid certificate from an old CA."""

    # Members are written only by members.insert_members, one INSERT ... SELECT from the
    # rows they point to; a database foreign key would check each of 1,000,000 rows again at
    # commit (two thirds of a campaign's start). Django still applies on_delete.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="members", db_constraint=False
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="campaign_members", db_constraint=False
    )
    # Their newest affected certificate at the start (for the straggler list).
    old_certificate = models.ForeignKey(
        Certificate, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    old_certificates = models.PositiveIntegerField(default=1)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_member_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.person_id}"


class ReminderRound(models.Model):
    """One reminder (N days before the deadline) sent once to everyone not yet migrated."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    # The deadline the round counted back from: postponing starts the schedule afresh.
    deadline = models.DateTimeField()
    days_before = models.IntegerField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)
    task = models.OneToOneField(
        "CampaignTask", null=True, on_delete=models.SET_NULL, related_name="reminder_round"
    )
    # Sent from the console or `campaign remind --now`, not by the schedule.
    manual = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "deadline", "days_before"],
                condition=Q(manual=False),
                name="one_reminder_round_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.days_before} days before {self.deadline:%Y-%m-%d}"


class Snapshot(models.Model):
    """Progress at one instant, for the chart over time."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="snapshots")
    at = models.DateTimeField()
    total = models.PositiveIntegerField()
    migrated = models.PositiveIntegerField()
    in_progress = models.PositiveIntegerField()
    stuck = models.PositiveIntegerField()
    not_started = models.PositiveIntegerField()
    old_in_use = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["campaign", "at"])]

    def __str__(self) -> str:
        return f"{self.campaign_id} at {self.at:%Y-%m-%d %H:%M}: {self.migrated}/{self.total}"


class TaskState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CampaignTask(models.Model):
    """Bulk mail (invitations, a reminder round) sent in chunks, with the progress a CLI bar or
    console bar follows (``mailing.send_chunk``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=30)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The last person (pk) whose mail is in the outbox; the next chunk starts after it.
    cursor = models.BigIntegerField(default=0)
    actor = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Wall-clock time of the last progress; a stale one lets another process take over.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.done}/{self.total} {self.state}"

    @property
    def label(self) -> str:
        if self.kind == "invite":
            return str(_("Invitations"))
        if self.kind == "deadline":
            return str(_("Deadline notice to those not migrated"))
        if self.kind == "reminder-manual":
            return str(_("Reminders (sent by hand)"))
        if self.kind.startswith("reminder-"):
            days = self.kind.removeprefix("reminder-")
            count = int(days) if days.isdigit() else 2
            return ngettext(
                "Reminders (%(days)s day before the deadline)",
                "Reminders (%(days)s days before the deadline)",
                count,
            ) % {"days": days}
        return self.kind

    @property
    def percent(self) -> int:
        if self.state == TaskState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
