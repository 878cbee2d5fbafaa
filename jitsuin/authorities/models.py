from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jitsuin.pki.offline import OFFLINE_SCHEME

# The key reference of a CA whose key a remote signer holds (connectors/remote_chain.py).
REMOTE_SCHEME = "remote:"
# The key reference of the national service's CA (jitsuin/upki): it signs, revokes and answers
# OCSP and CRLs for its certificates itself; this instance keeps their copies.
UPSTREAM_SCHEME = "upstream:"


class Role(models.TextChoices):
    ROOT = "root", _("Root CA")
    INTERMEDIATE = "intermediate", _("Intermediate CA")


class AuthorityStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active (issuing)")
    RETIRED = "retired", _("Retired")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class AuthorityQuerySet(models.QuerySet["Authority"]):
    def roots(self) -> AuthorityQuerySet:
        return self.filter(role=Role.ROOT)

    def intermediates(self) -> AuthorityQuerySet:
        return self.filter(role=Role.INTERMEDIATE)

    def online(self) -> AuthorityQuerySet:
        """The CAs whose keys this instance holds: not an offline root's (its key is in a
        vault), not a remote signer's (connectors/remote_chain.py: the signer holds it), not
        the national service's (jitsuin/upki)."""
        return (
            self.exclude(key_ref__startswith=OFFLINE_SCHEME)
            .exclude(key_ref__startswith=REMOTE_SCHEME)
            .exclude(key_ref__startswith=UPSTREAM_SCHEME)
        )

    def issuing(self) -> AuthorityQuerySet:
        """The intermediate new certificates come from; never the national service's (it
        issues at the service, through the upki connector, not here)."""
        return self.filter(role=Role.INTERMEDIATE, status=AuthorityStatus.ACTIVE).exclude(
            key_ref__startswith=UPSTREAM_SCHEME
        )


class Authority(models.Model):
    """A CA. Its private key lives in a key store; this row keeps only the reference."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(
        max_length=20, choices=AuthorityStatus.choices, default=AuthorityStatus.PENDING
    )
    certificate_der = models.BinaryField()
    key_ref = models.CharField(max_length=300)
    subject = models.CharField(max_length=500)
    serial = models.CharField(max_length=60)  # Serial(...).db, as Certificate.serial
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    # Delegated OCSP responder for the certificates this CA issues.
    ocsp_certificate_der = models.BinaryField(null=True, blank=True)
    ocsp_key_ref = models.CharField(max_length=300, blank=True)
    crl_number = models.BigIntegerField(default=0)
    # Set now or in the future (a scheduled revocation); effective once it has passed.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=40, blank=True)
    # Announced, not yet decided: a campaign retires this CA on that date (services.
    # schedule_revocation). The parent's CRLs expire no later, so relying parties fetch the
    # CRL that lists the revocation then.
    revocation_scheduled_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["role", "not_before", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["role"],
                condition=Q(status="active", role="intermediate"),
                name="one_issuing_intermediate",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kept_offline(self) -> bool:
        """An offline root: its key is in a vault on an air-gapped machine (offline.py)."""
        return self.key_ref.startswith(OFFLINE_SCHEME)

    @property
    def upstream(self) -> bool:
        """The national service's CA: it answers for its certificates (OCSP, CRL) itself."""
        return self.key_ref.startswith(UPSTREAM_SCHEME)


# What the hierarchy publishes for relying services: CRLs and pre-signed OCSP responses.
# These models belonged to the revocation app; their tables keep its names (db_table).


class PublishedCrlQuerySet(models.QuerySet["PublishedCrl"]):
    def latest_for(self, authority: Authority) -> PublishedCrl | None:
        return self.filter(authority=authority).order_by("-number").first()

    def latest_times_for(self, authority: Authority) -> PublishedCrl | None:
        """The newest CRL's number and times without its bytes (50 MB at a million entries):
        for the health check, the relying-party and campaign checks."""
        return self.filter(authority=authority).order_by("-number").defer("der").first()

    def still_valid(self, now: datetime) -> PublishedCrlQuerySet:
        return self.filter(next_update__gt=now)


class PublishedCrl(models.Model):
    """One signed CRL. Older ones are kept a while: relying parties may still hold them."""

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="crls")
    number = models.BigIntegerField()
    der = models.BinaryField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(db_index=True)
    entries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PublishedCrlQuerySet.as_manager()

    class Meta:
        db_table = "revocation_publishedcrl"
        ordering = ["authority", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "number"], name="unique_crl_number")
        ]

    def __str__(self) -> str:
        return f"CRL {self.number} of {self.authority_id}"


class PendingPublication(models.Model):
    """A CRL that must be re-signed; one row per authority debounces a burst of revocations."""

    authority = models.OneToOneField(
        Authority, on_delete=models.CASCADE, related_name="pending_publication"
    )
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    changes = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "revocation_pendingpublication"

    def __str__(self) -> str:
        return f"pending CRL of {self.authority_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class OcspStatus(models.TextChoices):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class OcspResponse(models.Model):
    """A pre-signed OCSP response for (issuer, serial) with a SHA-1 CertID (RFC 5019)."""

    issuer = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="ocsp_responses")
    # Serial(...).db, as Certificate.serial and Authority.serial: one exact match.
    serial = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=OcspStatus.choices)
    der = models.BinaryField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "revocation_ocspresponse"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="unique_ocsp_response")
        ]

    def __str__(self) -> str:
        return f"OCSP {self.serial} {self.status}"


class ProfileSignerQuerySet(models.QuerySet["ProfileSigner"]):
    def latest_for(self, issuer: Authority) -> ProfileSigner | None:
        return self.filter(issuer=issuer).order_by("-not_after", "-pk").first()


class ProfileSigner(models.Model):
    """The certificate that signs Wi-Fi onboarding profiles (Apple .mobileconfig).

    Issued by the issuing intermediate like its OCSP responder, and kept the same way: the
    certificate here, the key in the CA key store by reference.
    """

    issuer = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="profile_signers")
    # The signer this one renewed. Unique, and at most one first signer per issuer: two
    # processes that renew at the same moment cannot both succeed (works on SQLite too).
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    certificate_pem = models.TextField()
    key_ref = models.CharField(max_length=300, blank=True)  # emptied once the key is destroyed
    serial = models.CharField(max_length=64)  # Serial(...).db, as Certificate.serial
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProfileSignerQuerySet.as_manager()

    class Meta:
        ordering = ["issuer", "-not_after"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer"],
                condition=Q(replaces__isnull=True),
                name="one_first_profile_signer_per_issuer",
            ),
        ]

    def __str__(self) -> str:
        return f"profile signer {self.serial} of {self.issuer_id}"


class RelyingParty(models.Model):
    """A RADIUS or VPN host whose agent (``jitsuin relying-party sync``) reports what it loaded.

    One row per (token, name), updated in place by each report: the table grows with hosts,
    never with reports. ``loaded`` is what the host's CA directory holds now, one entry per
    CRL: ``{"issuer", "authority_key_id", "number", "this_update", "next_update"}`` (numbers as
    decimal strings: a CRL number may be 20 octets). Information only: publishing never waits
    for a relying party.
    """

    token_name = models.CharField(max_length=64)
    name = models.CharField(max_length=253)
    software = models.CharField(max_length=100, blank=True)
    first_report_at = models.DateTimeField()
    last_report_at = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    loaded = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name", "token_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_name", "name"], name="one_relying_party_per_token_and_name"
            )
        ]

    def __str__(self) -> str:
        return f"relying party {self.name} ({self.token_name})"
