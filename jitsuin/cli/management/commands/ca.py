"""`jitsuin ca ...`: the CA hierarchy."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from jitsuin.audit.actors import Actor
from jitsuin.authorities import revocations, services
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.publishing.settings import timings
from jitsuin.cli.management.commands._ca_offline_cli import (
    OfflineRootCommands,
    add_offline_parser,
)
from jitsuin.cli.options import longest_profile_validity
from jitsuin.config.parts import CA_KEY_TYPES
from jitsuin.lifecycle.reasons import CA_REASONS
from jitsuin.pki.offline import OfflineError

CLI = str(Actor.cli())  # the command line, without the OS user (as recorded so far)


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def _key_type_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-type",
        choices=CA_KEY_TYPES,
        default=None,
        help="the new CA's key (signed with SHA-384 for p384, SHA-256 otherwise); "
        "default: JITSUIN_CA_KEY_TYPE, else p384",
    )


class Command(OfflineRootCommands, BaseCommand):
    help = (
        "Manage the CA hierarchy: init, list, create-intermediate, activate, export, revoke, "
        "offline (an offline root)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, parser_class=argparse.ArgumentParser
        )
        init = sub.add_parser(
            "init", help="create a root, an issuing intermediate and its OCSP signer if none exist"
        )
        init.add_argument("--root-name", default=services.DEFAULT_ROOT_NAME)
        init.add_argument("--intermediate-name", default=services.DEFAULT_INTERMEDIATE_NAME)
        _key_type_option(init)
        sub.add_parser(
            "list",
            help="list authorities and warn about any that cannot cover a profile's validity",
        )
        create = sub.add_parser(
            "create-intermediate", help="create a new intermediate (pending until activated)"
        )
        create.add_argument("name")
        create.add_argument(
            "--validity-days",
            type=int,
            default=None,
            help="default: the intermediate profile's 10 years",
        )
        _key_type_option(create)
        add_offline_parser(sub)
        activate = sub.add_parser(
            "activate", help="make NAME the issuing CA; the previous one retires"
        )
        activate.add_argument("name")
        export = sub.add_parser(
            "export", help="print a CA certificate (or --bundle: every CA) as PEM"
        )
        export.add_argument("name", nargs="?")
        export.add_argument("--bundle", action="store_true")
        revoke = sub.add_parser(
            "revoke", help="revoke intermediate NAME now, or at --at (a scheduled revocation)"
        )
        revoke.add_argument("name")
        revoke.add_argument(
            "--reason",
            default="superseded",
            choices=CA_REASONS,
        )
        revoke.add_argument("--at", help="ISO date-time with zone, e.g. 2026-01-17T00:00+09:00")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            if action == "offline":
                self.do_offline(options, CLI)
            else:
                getattr(self, f"do_{action}")(options)
        except (services.AuthorityError, OfflineError) as exc:
            raise CommandError(str(exc)) from exc

    def do_init(self, options: dict[str, Any]) -> None:
        result = services.init_hierarchy(
            root_name=options["root_name"],
            intermediate_name=options["intermediate_name"],
            key_type=options["key_type"],
        )
        verb = "created" if result.created else "already present"
        # A CA is published with its first CRL, so relying parties never meet one without.
        for authority in (result.root, result.intermediate):
            publishing.latest_crl_or_sign(authority)
        self.stdout.write(f"root CA: {result.root.name} ({verb})")
        self.stdout.write(f"issuing CA: {result.intermediate.name}")

    def do_list(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        longest = longest_profile_validity()
        table = Table("name", "role", "status", "parent", "not after", "SHA-256 fingerprint")
        warnings = []
        for authority in Authority.objects.select_related("parent").order_by("role", "not_before"):
            status = authority.status
            if authority.revoked_at and authority.revoked_at > now:
                status += f" (revocation scheduled {authority.revoked_at:%Y-%m-%d %H:%M})"
            table.add_row(
                authority.name,
                authority.role,
                status,
                authority.parent.name if authority.parent else "-",
                f"{authority.not_after:%Y-%m-%d}",
                authority.fingerprint_sha256,
            )
            remaining = authority.not_after - now
            if authority.status in ("active", "pending") and remaining < longest:
                warnings.append(
                    f"WARNING: {authority.name} expires {authority.not_after:%Y-%m-%d}, in "
                    f"{remaining.days} days, less than the longest profile validity "
                    f"({longest.days} days): issuance under it will be refused. "
                    "Create and activate a new intermediate."
                )
        Console(file=self.stdout, width=200).print(table)
        for line in warnings:
            self.stdout.write(self.style.WARNING(line))

    def do_create_intermediate(self, options: dict[str, Any]) -> None:
        days = options["validity_days"]
        # Created and its first CRL signed in one transaction: /crl/<slug> and
        # /crl/bundle.pem serve it from the moment the CA exists.
        with transaction.atomic():
            authority = services.create_intermediate(
                options["name"],
                validity=timedelta(days=days) if days else None,
                key_type=options["key_type"],
            )
            crl = publishing.publish_crl(authority, actor=CLI)
        self.stdout.write(
            f"created {authority.name} (pending); its first CRL (number {crl.number}) is "
            f"published; `jitsuin ca activate {authority.name}` makes it issue"
        )

    def do_activate(self, options: dict[str, Any]) -> None:
        authority = services.activate(options["name"], actor=CLI)
        self.stdout.write(f"{authority.name} is now the issuing CA")

    def do_revoke(self, options: dict[str, Any]) -> None:
        at = None
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(f"--at: {options['at']!r} is not an ISO date-time") from exc
            if at.tzinfo is None:
                at = timezone.make_aware(at)
        authority = revocations.revoke_authority(
            options["name"], reason=options["reason"], at=at, actor=CLI
        )
        parent, revoked_at = authority.parent, authority.revoked_at  # a root is never revoked
        if parent.kept_offline:
            self.stdout.write(
                f"{authority.name} revoked ({authority.revocation_reason}) as of "
                f"{_when(revoked_at)}. Its root {parent.name} is offline: its CRL listing it is "
                "signed at a ceremony: jitsuin ca offline request crl --out crl-request.json"
            )
            return
        if revoked_at <= timezone.now():
            # Rare and decisive: the parent's CRL listing it is signed now, not after the
            # debounce delay.
            crl = publishing.publish_crl(parent, actor=CLI)
            self.stdout.write(
                f"{authority.name} revoked ({authority.revocation_reason}) at {_when(revoked_at)}"
            )
            self.stdout.write(
                f"published CRL number {crl.number} of {parent.name}, listing it, at "
                f"{_when(crl.this_update)}; OCSP answers revoked now"
            )
            # Relying parties that cache CRLs may keep an older one until its nextUpdate.
            cached_until = publishing.next_crl_update(parent)
            if cached_until is not None and cached_until > crl.this_update:
                self.stdout.write(
                    "relying parties that keep a CRL until its nextUpdate see it by "
                    f"{_when(cached_until)} at the latest"
                )
        else:
            latest = revoked_at + timings().crl_validity
            self.stdout.write(
                f"{authority.name} will be revoked ({authority.revocation_reason}) at "
                f"{_when(revoked_at)}"
            )
            self.stdout.write(
                f"the CRL of {parent.name} listing it will be published at {_when(revoked_at)} "
                "(by the worker: keep `jitsuin worker` or `jitsuin serve` running); "
                f"relying parties that keep a CRL until its nextUpdate see it by "
                f"{_when(latest)} at the latest"
            )

    def do_export(self, options: dict[str, Any]) -> None:
        if options["bundle"]:
            self.stdout.write(services.bundle_pem(), ending="")
            return
        if not options["name"]:
            raise CommandError("give a CA name or --bundle")
        authority = Authority.objects.filter(name=options["name"]).first()
        if authority is None:
            raise CommandError(f"no authority named {options['name']!r}")
        self.stdout.write(services.to_pem(authority), ending="")
