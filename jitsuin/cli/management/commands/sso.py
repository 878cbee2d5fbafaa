"""`jitsuin sso refresh-metadata`: fetch and verify the SAML federation metadata now."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.sso.saml.metadata import refresh


class Command(BaseCommand):
    help = (
        "Single sign-on: `jitsuin sso refresh-metadata` fetches the SAML metadata "
        "(JITSUIN_SAML_METADATA_URL), checks its signature and validUntil, and keeps it as the "
        "copy sign-ins use; on failure the last good copy stays in use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("refresh-metadata", help="fetch and verify the SAML metadata now")

    def handle(self, *args: Any, **options: Any) -> None:
        if "saml" not in settings.JITSUIN_SSO_METHODS:
            raise CommandError(
                "SAML is not configured: set JITSUIN_SAML_METADATA_URL (with "
                "JITSUIN_SAML_METADATA_CERT) or JITSUIN_SAML_METADATA_FILE"
            )
        # The command reports the outcome itself: one line, not the log's line as well.
        logging.getLogger("jitsuin.sso.saml.metadata").setLevel(logging.ERROR)
        result = refresh(force=True)
        when = timezone.localtime(result.next_refresh)
        if not result.ok:
            raise CommandError(f"{result.message}; next try {when:%Y-%m-%d %H:%M %Z}")
        state = "updated" if result.changed else "unchanged"
        self.stdout.write(
            f"metadata {state}: {result.idps} IdP(s) in {result.path}; "
            f"next refresh {when:%Y-%m-%d %H:%M %Z}"
        )
