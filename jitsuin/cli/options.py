"""Small helpers shared by the `jitsuin` subcommands."""

from __future__ import annotations

from datetime import timedelta

from jitsuin.pki.profiles import CLIENT_AUTH


def longest_profile_validity() -> timedelta:
    """The longest validity any profile asks for; an issuing CA must outlive it."""
    return CLIENT_AUTH.validity
