"""What the download page offers to set up the device in hand: the recommended Wi-Fi profile
first, the other formats for it, and which old profile to remove after a switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from jitsuin.lifecycle.models import Certificate, Pickup
from jitsuin.onboarding import formats
from jitsuin.onboarding.formats import ProfileFormat
from jitsuin.onboarding.services import offered


@dataclass(frozen=True)
class DeviceSetup:
    platform: str  # "" when the device was not recognised: every format is listed
    recommended: ProfileFormat | None
    steps: Promise | str
    alternatives: list[ProfileFormat]


def setup_for(platform: str) -> DeviceSetup:
    recommended = formats.recommended_for(platform)
    if recommended is None:
        return DeviceSetup("", None, "", list(formats.FORMATS.values()))
    return DeviceSetup(
        platform, recommended, formats.SETUP_STEPS[platform], formats.alternatives_for(platform)
    )


def previous_certificate(certificate: Certificate) -> Certificate | None:
    """The person's certificate before this one (a switch), whose Wi-Fi profile must go."""
    return (
        Certificate.objects.filter(person_id=certificate.person_id, pk__lt=certificate.pk)
        .order_by("-pk")
        .first()
    )


def context_for(pickup: Pickup, platform: str, user_agent: str) -> dict[str, Any]:
    """``setup`` (None while profiles are not offered or the window has ended) and
    ``previous_certificate`` for the download page."""
    device = formats.device_platform(platform, user_agent)
    in_window = pickup.expires_at > timezone.now()
    return {
        "device": device,
        "setup": setup_for(device) if in_window and offered() else None,
        "previous_certificate": previous_certificate(pickup.certificate),
    }
