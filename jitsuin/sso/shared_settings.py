"""The SSO variables both protocols read: parsed once, here, by both configurations."""

from __future__ import annotations

from collections.abc import Mapping

from jitsuin.config import ConfigError

# Kept here, not imported from identities (which needs Django's models, not ready at settings time).
PROVISIONING_MODES = ("off", "update", "create")
DEFAULT_CLOCK_SKEW = 60
MAX_CLOCK_SKEW = 600


def provisioning_mode(env: Mapping[str, str]) -> str:
    """``JITSUIN_SSO_PROVISIONING``: off (default), update or create."""
    mode = env.get("JITSUIN_SSO_PROVISIONING", "off").strip().lower() or "off"
    if mode not in PROVISIONING_MODES:
        raise ConfigError(
            f"JITSUIN_SSO_PROVISIONING must be one of {', '.join(PROVISIONING_MODES)}, not {mode!r}"
        )
    return mode


def clock_skew(env: Mapping[str, str]) -> int:
    """``JITSUIN_SSO_CLOCK_SKEW``: seconds of IdP clock difference tolerated (default 60)."""
    raw = env.get("JITSUIN_SSO_CLOCK_SKEW", "").strip()
    if not raw:
        return DEFAULT_CLOCK_SKEW
    if not raw.isdigit() or int(raw) > MAX_CLOCK_SKEW:
        raise ConfigError(
            f"JITSUIN_SSO_CLOCK_SKEW must be a number of seconds from 0 to {MAX_CLOCK_SKEW}, "
            f"not {raw!r}"
        )
    return int(raw)
