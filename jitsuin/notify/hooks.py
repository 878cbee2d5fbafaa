"""What other apps tell notify, without notify importing them (the arrow points into notify).

The revocation app knows when CRL-checking services see a revocation; notify only needs the
answer for its e-mails. ``RevocationConfig.ready()`` provides it here; notify never imports
``jitsuin.revocation``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# certificate -> {"crl_by": datetime | None, "crl_within_hours": int}
CrlVisibility = Callable[[Any], dict[str, Any]]

_crl_visibility: CrlVisibility | None = None


def provide_crl_visibility(provider: CrlVisibility) -> None:
    """Called once by the revocation app; a later call replaces the provider."""
    global _crl_visibility
    _crl_visibility = provider


def crl_visibility(certificate: Any) -> dict[str, Any]:
    """When CRL-checking services see the revocation of ``certificate``: e-mail context.

    The revocation app is always installed; the fallback only keeps notify usable on its own.
    """
    if _crl_visibility is None:
        return {"crl_by": None, "crl_within_hours": None}
    return _crl_visibility(certificate)
