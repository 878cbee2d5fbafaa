"""The /healthz check of Wi-Fi onboarding: a warning while the RADIUS server is not set."""

from __future__ import annotations

from typing import Any

from jitsuin.config import current

UNSET_WARNING = (
    "JITSUIN_RADIUS_SERVER_NAME and JITSUIN_RADIUS_SERVER_CA must both be set: until then the "
    "portal offers no Wi-Fi profile (docs/onboarding.md)"
)


def onboarding_health() -> tuple[str, dict[str, Any]]:
    """Always ``ok`` (the portal serves without profiles), with a warning while unset."""
    config = current()
    wifi = config.wifi
    detail: dict[str, Any] = {"profiles": wifi.configured}
    if not wifi.configured:
        unset = [
            name
            for name, value in (
                ("JITSUIN_RADIUS_SERVER_NAME", wifi.server_names),
                ("JITSUIN_RADIUS_SERVER_CA", wifi.server_cas),
            )
            if not value
        ]
        detail["unset"] = unset
        detail["warning"] = UNSET_WARNING
        if config.demo:
            detail["demo"] = "the demo offers profiles for radius.demo.invalid and jitsuin's root"
    return "ok", detail
