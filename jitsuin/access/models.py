"""TOTP devices whose secret is sealed under the KEK, and one-time TOTP enrolment codes."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.sealing import seal, unseal

TOTP_KEY_BYTES = 20


TOTP_KEY_PURPOSE = "totp-key"


def totp_key_binding(user_id: int) -> str:
    """Bind a sealed seed to its account: a seed copied into another user's row will not open."""
    return f"user:{user_id}"


class SealedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device with the seed AES-GCM-sealed under a KEK-derived key.

    Verification, drift, replay protection (``last_t``), throttling and the otpauth URL are
    django-otp's own code (borrowed from ``TOTPDevice``); only where the seed lives differs.
    """

    sealed_key = models.BinaryField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "TOTP device (sealed seed)"

    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    def set_key(self, key: bytes) -> None:
        self.sealed_key = seal(
            key, purpose=TOTP_KEY_PURPOSE, bound_to=totp_key_binding(self.user_id)
        )

    @property
    def bin_key(self) -> bytes:
        return unseal(
            bytes(self.sealed_key),
            purpose=TOTP_KEY_PURPOSE,
            bound_to=totp_key_binding(self.user_id),
        )

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.sealed_key:  # a new device gets a fresh random seed, as TOTPDevice does
            self.set_key(secrets.token_bytes(TOTP_KEY_BYTES))
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class EnrolmentCode(models.Model):
    """A one-time code a CA admin issues so that a staff member can set up TOTP.

    Only a SHA-256 of the code is stored (the code is 80 random bits); it expires and is
    used once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(max_length=200)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"enrolment code for user #{self.user_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class ApiToken(models.Model):
    """A bearer token for the JSON API (access/tokens.py makes, checks and revokes them).

    Only a SHA-256 of the token is kept: it is 256 random bits, so no slow KDF is needed.
    ``prefix`` (the first characters) is not secret and tells tokens apart in lists.
    """

    name = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    secret_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"API token {self.name} ({self.prefix}…)"
