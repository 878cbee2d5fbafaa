"""The people search's certificate columns, each written once per person in Python.

The list shows, per person, a status and an issuer line for each certificate still in its
validity period (or the newest one). Written in the template these were two ``{% for %}``
loops per person, fifty a page, a fifth of the page's rendering; here they are two
``format_html_join`` calls, escaped the same way.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from jitsuin.console.queries import ShownCertificate

_LINE_BREAK = mark_safe("<br>")  # a constant, no input: the separator between lines


class CertificateCells:
    """The two cells for any person of one page, its labels translated once."""

    def __init__(self) -> None:
        self.revoked = gettext("Revoked")
        self.expired = gettext("Expired")
        self.valid = gettext("Valid")
        self.none = format_html('<span class="muted">{}</span>', gettext("No certificate"))

    def _status(self, status: str, expired: bool) -> str:
        if status == "revoked":
            return self.revoked
        return self.expired if expired else self.valid

    def status(self, shown: list[ShownCertificate]) -> SafeString:
        """Revoked, Expired or Valid for each, one a line; "No certificate" for none."""
        if not shown:
            return self.none
        labels = ((self._status(status, expired),) for status, expired, _issuer in shown)
        return format_html_join(_LINE_BREAK, "{}", labels)

    def issuers(self, shown: list[ShownCertificate]) -> SafeString:
        """The issuer's name of each, one a line."""
        names = ((issuer,) for _status, _expired, issuer in shown)
        return format_html_join(_LINE_BREAK, "{}", names)
