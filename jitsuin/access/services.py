"""Account changes that matter for security: each writes an audit event in its transaction."""

from __future__ import annotations

from base64 import b32encode

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.audit.services import actor_label, record

TOTP_DEVICE_NAME = "authenticator"


def pending_totp_device(user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed TOTP device, made on first call; shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The shared secret in base32, as authenticator apps ask for it when typed in."""
    return b32encode(device.bin_key).decode().rstrip("=")


def confirm_totp(user: AbstractBaseUser, device: TOTPDevice, token: str) -> bool:
    """Confirm ``device`` if ``token`` is a current code from it; audit the enrolment."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record("access.totp_enrolled", actor=actor_label(user), obj=device, data={})
    return True


def record_sign_in(
    user: AbstractBaseUser, *, method: str, second_factor: bool, address: str
) -> None:
    with transaction.atomic():
        record(
            "access.signed_in",
            actor=actor_label(user),
            data={"method": method, "second_factor": second_factor, "address": address},
        )
