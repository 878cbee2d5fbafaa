"""`jitsuin onboarding UID --format FMT --out FILE`: a person's Wi-Fi profile from their pickup."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jitsuin.cli.management.commands import _lifecycle_cli as cli
from jitsuin.cli.options import write_private
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Pickup, PickupState
from jitsuin.onboarding import formats
from jitsuin.onboarding.services import build_profile


class Command(BaseCommand):
    help = (
        "Build a person's Wi-Fi (EAP-TLS) profile from their certificate waiting to be "
        "downloaded: only within its download window, counted as a download and audited. "
        "The file holds the private key (saved 0600); its PIN is shown on the portal's "
        "download page, never here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("uid", help="the person's user ID")
        parser.add_argument(
            "--format",
            required=True,
            choices=formats.names(),
            dest="profile_format",
            help="the profile format (see docs/onboarding.md for which platform takes which)",
        )
        parser.add_argument("--out", required=True, help="where to save the profile")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
            # Checked first: a profile that cannot be saved must not count as a download.
            raise CommandError(f"cannot write {out}: {out.parent} is not a writable directory")
        person = cli.person(options["uid"])
        pickup = (
            Pickup.objects.select_related("certificate")
            .filter(request__person=person, expires_at__gt=timezone.now())
            .exclude(state=PickupState.DESTROYED)
            .order_by("-created_at")
            .first()
        )
        if pickup is None:
            raise CommandError(
                f"{person.uid} has no certificate within its download window "
                "(request one with `jitsuin issue`)"
            )
        try:
            built = build_profile(pickup, options["profile_format"], actor=cli.cli_actor())
        except LifecycleError as exc:
            raise cli.fail(exc) from exc
        try:
            write_private(out, built.data)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(
            f"saved {out} ({options['profile_format']}, {built.content_type}, "
            f"serial {pickup.certificate.serial_number.hex})"
        )
        self.stdout.write(
            f"the access PIN is shown to {person.uid} on the portal's download page "
            f"(/downloads/{pickup.pk}/)"
        )
