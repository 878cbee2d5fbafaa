"""Account changes that matter for security: each writes an audit event in its transaction."""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from jitsuin.access.models import EnrolmentCode, SealedTOTPDevice
from jitsuin.audit.services import actor_label, record
from jitsuin.config import current

TOTP_DEVICE_NAME = "authenticator"
# The session key naming the IdP method ("oidc" | "saml") that signed this session in.
SSO_SESSION_METHOD = "jitsuin_sso_method"
ENROLMENT_CODE_BYTES = 10  # 80 bits, 16 base32 characters


def create_totp_device(
    user: AbstractBaseUser, *, name: str = TOTP_DEVICE_NAME, confirmed: bool = False
) -> SealedTOTPDevice:
    """A TOTP device with a fresh random seed, sealed under the KEK."""
    return SealedTOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)


def pending_totp_device(user: AbstractBaseUser) -> SealedTOTPDevice:
    """The user's unconfirmed TOTP device, made on first call; shown until confirmed."""
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or create_totp_device(user)


def totp_secret(device: SealedTOTPDevice) -> str:
    """The shared secret in base32, as authenticator apps ask for it when typed in."""
    return b32encode(device.bin_key).decode().rstrip("=")


def confirm_totp(user: AbstractBaseUser, device: SealedTOTPDevice, token: str) -> bool:
    """Confirm ``device`` if ``token`` is a current code from it; audit the enrolment."""
    with transaction.atomic():
        device = SealedTOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record("access.totp_enrolled", actor=actor_label(user), obj=device, data={})
    return True


def _code_hash(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


def issue_enrolment_code(
    user: AbstractBaseUser, *, actor: str, now: datetime | None = None
) -> tuple[str, EnrolmentCode]:
    """A new one-time TOTP enrolment code for ``user`` (earlier unused ones stop working).

    The code itself is returned once, to be handed over; only its hash is kept.
    """
    now = now or timezone.now()
    raw = b32encode(secrets.token_bytes(ENROLMENT_CODE_BYTES)).decode()
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True).delete()
        issued = EnrolmentCode.objects.create(
            user=user,
            code_hash=_code_hash(code),
            issued_by=actor,
            issued_at=now,
            expires_at=now + current().totp_enrolment_code_ttl,
        )
        record(
            "access.enrolment_code_issued",
            actor=actor,
            obj=issued,
            data={"username": user.get_username(), "expires_at": issued.expires_at.isoformat()},
        )
    return code, issued


def redeem_enrolment_code(
    user: AbstractBaseUser, code: str, *, now: datetime | None = None
) -> SealedTOTPDevice | None:
    """Use ``code`` up and give ``user`` a new unconfirmed TOTP device to set up, or None.

    Any other unconfirmed device of the user is removed: a seed shown before the code was
    given (or to someone else) can never become the confirmed one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        issued = (
            EnrolmentCode.objects.select_for_update()
            .filter(user=user, code_hash=_code_hash(code), used_at__isnull=True)
            .first()
        )
        if issued is None or issued.expires_at <= now:
            record(
                "access.enrolment_code_refused",
                actor=actor_label(user),
                data={"reason": "expired" if issued else "unknown or used"},
            )
            return None
        issued.used_at = now
        issued.save(update_fields=["used_at"])
        SealedTOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = create_totp_device(user)
        record("access.enrolment_code_used", actor=actor_label(user), obj=issued, data={})
    return device


def record_sign_in(
    user: AbstractBaseUser, *, method: str, second_factor: bool, address: str, issuer: str = ""
) -> None:
    """A sign-in; ``issuer`` names the IdP of an SSO sign-in."""
    data: dict[str, object] = {"method": method, "second_factor": second_factor, "address": address}
    if issuer:
        data["issuer"] = issuer
    with transaction.atomic():
        record("access.signed_in", actor=actor_label(user), data=data)


def record_sign_out(user: AbstractBaseUser, *, method: str, idp: bool) -> None:
    """A sign-out; ``idp`` when the identity provider's session is being ended too."""
    if not user.is_authenticated:
        return
    with transaction.atomic():
        record("access.signed_out", actor=actor_label(user), data={"method": method, "idp": idp})


def record_sign_in_failure(*, username: str, address: str, locked_out: bool) -> None:
    """A refused local sign-in; ``locked_out`` when the account or address is now held."""
    with transaction.atomic():
        record(
            "access.sign_in_locked_out" if locked_out else "access.sign_in_failed",
            data={"username": username[:150], "address": address},
        )


def held_sign_ins(username: str) -> int:
    """Failed sign-ins of ``username`` that django-axes still counts."""
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def unlock_sign_in(username: str, *, actor: str) -> int:
    """Forget the failed sign-ins of ``username`` (lockout and cool-off growth); audit it."""
    with transaction.atomic():
        held = held_sign_ins(username)
        AccessAttempt.objects.filter(username=username).delete()
        AccessFailureLog.objects.filter(username=username).delete()
        record(
            "access.sign_in_unlocked", actor=actor, data={"username": username, "failures": held}
        )
    return held


def unlock_address(address: str, *, actor: str) -> int:
    """Forget the failed sign-ins from ``address`` (the address limit and axes' address
    records); audit it. Returns how many failures were forgotten."""
    with transaction.atomic():
        held = AccessFailureLog.objects.filter(ip_address=address).count()
        AccessAttempt.objects.filter(ip_address=address).delete()
        AccessFailureLog.objects.filter(ip_address=address).delete()
        record("access.sign_in_unlocked", actor=actor, data={"address": address, "failures": held})
    return held
