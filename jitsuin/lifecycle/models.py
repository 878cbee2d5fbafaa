from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower, Replace
from django.utils.translation import gettext_lazy as _

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle import querysets
from jitsuin.lifecycle.choices import (  # noqa: F401 (RolloverPolicy, Pkcs12Choice: re-exported)
    OPEN_STATES,
    CertificateStatus,
    Pkcs12Choice,
    RequestKind,
    RequestState,
    RolloverPolicy,
)
from jitsuin.lifecycle.key_archive_models import (  # noqa: F401 (Django finds them here)
    OPEN_RECOVERY_STATES,
    KeyArchive,
    KeyRecovery,
    RecoveryState,
)
from jitsuin.lifecycle.leaver_models import Leaver, LeaverState  # noqa: F401 (Django finds it here)
from jitsuin.lifecycle.querysets import CertificateQuerySet, RequestQuerySet
from jitsuin.pki.names import Serial


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    uid = models.CharField(max_length=150, unique=True)
    email = models.EmailField()
    name_ja = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)
    # The reading of the Japanese name in katakana, where the identity source provides it
    # (OIDC ``name#ja-Kana-JP``, ``jitsuin user add --name-kana``); ``people.kana_reading``.
    name_kana = models.CharField(max_length=200, blank=True)
    affiliation = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=5, default="ja", choices=settings.LANGUAGES)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Both names and the reading, lower case, without half- or full-width spaces: what the
    # console's people search matches ``console.queries.name_key(query)`` against. The
    # database computes it on every write (create, update, bulk_create, SSO provisioning), so
    # no writer can forget it.
    name_search = models.GeneratedField(
        expression=Replace(
            Replace(
                Lower(Concat("name_ja", Value("|"), "name_en", Value("|"), "name_kana")),
                Value(" "),
                Value(""),
            ),
            Value("\u3000"),
            Value(""),
        ),
        output_field=models.CharField(max_length=602),
        db_persist=True,
    )

    class Meta:
        ordering = ["uid"]

    def __str__(self) -> str:
        return self.uid

    def display_name(self, language: str = "ja") -> str:
        if language == "ja":
            return self.name_ja or self.name_en or self.uid
        return self.name_en or self.name_ja or self.uid


class Profile(models.Model):
    """What a certificate looks like and how people roll from one to the next."""

    slug = models.SlugField(max_length=60, unique=True)
    name_ja = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    # Name of a jitsuin.pki.profiles template: "client-auth" or "client-auth-smime".
    template = models.CharField(max_length=40, default="client-auth")
    key_spec = models.CharField(max_length=10, default="rsa2048")
    validity_days = models.PositiveIntegerField(default=730)
    rollover_policy = models.CharField(
        max_length=30, choices=RolloverPolicy.choices, default=RolloverPolicy.OVERLAP
    )
    max_valid = models.PositiveSmallIntegerField(
        default=1, help_text="How many valid certificates of this profile a person may hold."
    )
    pkcs12_default = models.CharField(
        max_length=20, choices=Pkcs12Choice.choices, default=Pkcs12Choice.COMPATIBLE
    )
    pickup_window = models.DurationField(default=timedelta(days=14))
    overlap_grace = models.DurationField(
        default=timedelta(days=14),
        help_text=(
            "Under overlap, how long after the new certificate is first seen in use (OCSP) the "
            "old one is revoked; the holder's confirmation or a campaign deadline can be earlier."
        ),
    )
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_profile"
            )
        ]

    def __str__(self) -> str:
        return self.slug

    def display_name(self, language: str = "ja") -> str:
        return self.name_ja if language == "ja" else self.name_en

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.validity_days)


class PolicyException(models.Model):
    """Staff let one person roll over under another policy than their profile's."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="policy_exceptions")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="policy_exceptions")
    policy = models.CharField(max_length=30, choices=RolloverPolicy.choices)
    reason = models.TextField()
    granted_by = models.CharField(max_length=200)
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "profile"], name="one_exception_per_person_profile"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.profile_id}: {self.policy}"


class Certificate(models.Model):
    issuer = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="certificates")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="certificates")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="certificates")
    # Serial(...).db: lower-case hex without leading zeros (159 bits are too big for a bigint).
    serial = models.CharField(max_length=64)
    # The same serial in decimal digits, for the console's search by a decimal prefix: the
    # field writes it from ``serial`` whenever the row is written (SerialDecimalField.pre_save).
    serial_decimal = querysets.SerialDecimalField(max_length=60, blank=True, editable=False)
    subject = models.CharField(max_length=500)
    email = models.EmailField(blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    der = models.BinaryField()
    status = models.CharField(
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
        db_index=True,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revocation_reason = models.CharField(max_length=40, blank=True)
    # Its CRL entry's DER, encoded when it is revoked (publishing.crl.crl_entry_der).
    crl_entry = models.BinaryField(null=True, editable=False)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    # OCSP sightings (information only): the first and the latest query for this certificate.
    # When a superseded certificate is revoked is computed by lifecycle.overlap.revoke_date.
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-not_before"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="unique_serial_per_issuer")
        ]
        indexes = [
            models.Index(fields=["person", "profile", "status"]),
            models.Index(fields=["issuer", "status"]),
            querysets.LATEST_SIGHTING_INDEX,
            querysets.CRL_ENTRIES_INDEX,
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.person_id})"

    @property
    def serial_number(self) -> Serial:
        """The serial as a value: ``.hex``, ``.hex_pairs`` and ``.decimal`` for people."""
        return Serial.parse(self.serial)

    @property
    def serial_int(self) -> int:
        return self.serial_number.value

    @property
    def pickup(self) -> Pickup:
        """The pickup of this certificate's issuance (not a key recovery's); raises
        Pickup.DoesNotExist when its key was not made here."""
        return Pickup.objects.get(certificate=self, recovery=None)


_OPEN = ["queued", "waiting", "processing", "failed"]

# Request.wait_reason: why a waiting request waits.
WAIT_MAINTENANCE = "maintenance"  # one of our MaintenanceWindows
WAIT_UPSTREAM_MAINTENANCE = "upstream_maintenance"  # the connector says it is down
WAIT_POLICY = "policy"  # revoke-first: until the certificate it replaces is revoked
WAIT_RETRY = "retry"  # backoff after a transient error
WAIT_UPSTREAM = "upstream"  # a slow connector is still working on it


class Request(models.Model):
    """An issue or revoke request: the unit of work the pipeline does exactly once."""

    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requests")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="requests")
    # Revoke: the certificate to revoke. Issue: the certificate this one replaces, if any.
    target = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="target_of"
    )
    # Issue: the certificate it produced.
    certificate = models.OneToOneField(
        Certificate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_by_request",
    )
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.QUEUED
    )
    state_changed_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(db_index=True)
    requested_by = models.CharField(
        max_length=200, help_text="user:UID, staff:UID, campaign:NAME or system"
    )
    reason = models.CharField(max_length=40, blank=True, help_text="Revocation reason")
    pkcs12_compat = models.CharField(max_length=20, choices=Pkcs12Choice.choices, blank=True)
    csr_pem = models.TextField(blank=True)
    connector = models.CharField(max_length=40, default="builtin")
    connector_ref = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Not before this instant (maintenance window, backoff, polling a slow connector).
    not_before = models.DateTimeField(null=True, blank=True, db_index=True)
    wait_reason = models.CharField(max_length=40, blank=True)
    # A worker holds the request until lease_until; after that another may take it over.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    # A revocation the person is told about another way (their pickup expired): no e-mail
    # acknowledges the request or announces the revocation.
    silent = models.BooleanField(default=False)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "profile"],
                condition=Q(kind="issue", state__in=_OPEN),
                name="one_open_issue_request_per_person_profile",
            ),
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(kind="revoke", state__in=_OPEN),
                name="one_open_revoke_request_per_certificate",
            ),
        ]
        indexes = [models.Index(fields=["state", "not_before"]), querysets.OPEN_BY_AGE_INDEX]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RequestTransition(models.Model):
    """Each state change of a request, with its time, for the user's and helpdesk's history."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state or '-'} -> {self.to_state}"


class PickupState(models.TextChoices):
    READY = "ready", _("Ready")
    COLLECTED = "collected", _("Collected")
    DESTROYED = "destroyed", _("Destroyed")


class Pickup(models.Model):
    """The one-time PKCS#12 delivery of a server-generated key, sealed at rest.

    Both compatibility variants are built once at issuance, so every download of either
    returns identical bytes; when the window ends both are destroyed.
    """

    # Issuance: the request that made the key. A key recovery's pickup has ``recovery``
    # instead, and a certificate then has more than one pickup (one per recovery).
    request = models.OneToOneField(
        Request, null=True, blank=True, on_delete=models.PROTECT, related_name="pickup"
    )
    recovery = models.OneToOneField(
        "KeyRecovery", null=True, blank=True, on_delete=models.PROTECT, related_name="pickup"
    )
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="pickups")
    sealed_pkcs12_compatible = models.BinaryField(null=True)
    sealed_pkcs12_modern = models.BinaryField(null=True)
    sealed_pin = models.BinaryField(null=True)
    state = models.CharField(max_length=20, choices=PickupState.choices, default=PickupState.READY)
    expires_at = models.DateTimeField(db_index=True)
    download_count = models.PositiveIntegerField(default=0)
    first_downloaded_at = models.DateTimeField(null=True, blank=True)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(recovery__isnull=True),
                name="one_issuance_pickup_per_certificate",
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False, recovery__isnull=True)
                | Q(request__isnull=True, recovery__isnull=False),
                name="pickup_of_a_request_or_a_recovery",
            ),
        ]

    def __str__(self) -> str:
        return f"pickup #{self.pk} {self.state}"


class MaintenanceScope(models.TextChoices):
    ISSUE = "issue", _("Issuing")
    REVOKE = "revoke", _("Revoking")
    BOTH = "both", _("Issuing and revoking")


class MaintenanceWindow(models.Model):
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    scope = models.CharField(
        max_length=10, choices=MaintenanceScope.choices, default=MaintenanceScope.BOTH
    )
    connector = models.CharField(max_length=40, default="builtin")
    note_ja = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"
