"""Revocation reasons: the RFC 5280 names we store, one label each, and who may choose which.

The same label appears on the certificate page, in the e-mail and in the console's list.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REASON_LABELS: dict[str, Promise] = {
    "unspecified": _("unspecified"),
    "keyCompromise": _("key compromise"),
    "cACompromise": _("CA compromise"),
    "affiliationChanged": _("affiliation changed"),
    "superseded": _("superseded by a new certificate"),
    "cessationOfOperation": _("no longer used"),
    "certificateHold": _("on hold"),
    "privilegeWithdrawn": _("privilege withdrawn"),
    "aACompromise": _("AA compromise"),
}

# What a holder may give on their own certificate page.
USER_REASONS = ("superseded", "keyCompromise", "cessationOfOperation", "unspecified")
# What the helpdesk may give in the console.
CONSOLE_REASONS = (
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
)
# What a CA administrator may give when revoking an intermediate (`jitsuin ca revoke`).
CA_REASONS = (
    "superseded",
    "keyCompromise",
    "cACompromise",
    "cessationOfOperation",
    "affiliationChanged",
    "unspecified",
)


def reason_label(reason: str) -> Promise | str:
    """The label of a stored reason; an unknown name is shown as it is, none as unspecified."""
    if not reason:
        return REASON_LABELS["unspecified"]
    return REASON_LABELS.get(reason, reason)
