"""What a registered RA may order: its profiles, its namespace (e-mail domains and subject O=)
and its rate. Each refusal is a ``Refused`` with the HTTP status the service answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID

from jitsuin.signer.models import RegisteredRa, SignerOrder

RATE_WINDOW = timedelta(minutes=1)


class Refused(Exception):
    """The signer will not carry out this order; ``status`` is the HTTP answer (4xx)."""

    def __init__(self, message: str, *, status: int = 422, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def check_profile(ra: RegisteredRa, profile: str) -> None:
    if profile not in ra.profiles:
        allowed = ", ".join(ra.profiles) or "none"
        raise Refused(f"RA {ra.name} may not order profile {profile!r} (allowed: {allowed})")


def check_namespace(ra: RegisteredRa, subject: x509.Name, email: str) -> None:
    """The e-mail's domain among the RA's domains; every O= of the subject among its names."""
    if email:
        domain = email.rpartition("@")[2].lower()
        if "@" not in email or domain not in {d.lower() for d in ra.email_domains}:
            raise Refused(f"{email!r} is outside RA {ra.name}'s e-mail domains")
    for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME):
        if attribute.value not in ra.organizations:
            raise Refused(f"O={attribute.value!s} is outside RA {ra.name}'s organisations")


def check_rate(ra: RegisteredRa, now: datetime) -> None:
    """At most ``rate_per_minute`` new orders in the last minute; beyond it, 429 with the
    seconds until the oldest of them leaves the window."""
    recent = list(
        SignerOrder.objects.filter(ra=ra, created_at__gt=now - RATE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)[: ra.rate_per_minute]
    )
    if len(recent) >= ra.rate_per_minute:
        wait = recent[0] + RATE_WINDOW - now
        raise Refused(
            f"RA {ra.name} ordered {ra.rate_per_minute} times in the last minute",
            status=429,
            retry_after=max(1, int(wait.total_seconds()) + 1),
        )
