"""Typed errors of the lifecycle services; front ends turn them into user-facing answers."""

from __future__ import annotations

from django.utils.functional import Promise


class LifecycleError(Exception):
    """``code`` is stable for scripts and the API; ``message`` is translatable for people."""

    code = "lifecycle_error"
    http_status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class NotAllowed(LifecycleError):
    """The rollover policy, a limit or a role does not allow this now."""

    code = "not_allowed"
    http_status = 409


class InvalidState(LifecycleError):
    """The object is not in a state where this transition exists."""

    code = "invalid_state"
    http_status = 409


class NotFound(LifecycleError):
    code = "not_found"
    http_status = 404


class PickupGone(LifecycleError):
    """The pickup window has ended: the PKCS#12 and its key were destroyed."""

    code = "pickup_gone"
    http_status = 410
