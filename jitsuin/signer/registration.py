"""The RAs a signer answers: registered with their client certificate, removed for good."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.pki.profiles import END_ENTITY_PROFILES
from jitsuin.signer import admin_ca
from jitsuin.signer.models import RegisteredRa

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$")


class RegistrationError(Exception):
    """An RA that cannot be added or removed; the message says why."""


def split_namespace(items: list[str]) -> tuple[list[str], list[str]]:
    """``example.ac.jp`` or ``@example.ac.jp``: an e-mail domain; ``O=Example University``: an
    organisation (subject O=)."""
    domains, organizations = [], []
    for item in items:
        text = item.strip()
        if text[:2].upper() == "O=" and text[2:].strip():
            organizations.append(text[2:].strip())
            continue
        domain = text.removeprefix("@").lower()
        if not _DOMAIN.match(domain):
            raise RegistrationError(
                f"namespace {item!r}: give an e-mail domain (example.ac.jp) or O=Organisation"
            )
        domains.append(domain)
    return domains, organizations


def add_ra(
    name: str,
    *,
    profiles: list[str],
    namespace: list[str],
    rate_per_minute: int = 600,
    actor: Actor | None = None,
) -> tuple[RegisteredRa, admin_ca.ClientCredentials]:
    """Register RA ``name`` with a new client certificate; its key is handed back, not kept."""
    if not _NAME.match(name):
        raise RegistrationError(f"RA name {name!r}: letters, digits, '.', '_' and '-' only")
    unknown = [p for p in profiles if p not in END_ENTITY_PROFILES]
    if not profiles or unknown:
        known = ", ".join(sorted(END_ENTITY_PROFILES))
        raise RegistrationError(f"--profiles: choose among {known} (unknown: {unknown})")
    domains, organizations = split_namespace(namespace)
    if not domains and not organizations:
        raise RegistrationError("--namespace: give the RA's e-mail domains and O= names")
    if rate_per_minute < 1:
        raise RegistrationError("--rate: at least 1 order a minute")
    if RegisteredRa.objects.filter(name=name).exists():
        raise RegistrationError(
            f"an RA named {name!r} exists already (removed RAs keep their name)"
        )
    credentials = admin_ca.client_credentials(name)
    with transaction.atomic():
        ra = RegisteredRa.objects.create(
            name=name,
            certificate_fingerprint=credentials.fingerprint,
            profiles=profiles,
            email_domains=domains,
            organizations=organizations,
            rate_per_minute=rate_per_minute,
        )
        record(
            "signer.ra_added",
            actor=actor or Actor.cli(),
            obj=ra,
            data={
                "name": name,
                "fingerprint": credentials.fingerprint,
                "profiles": profiles,
                "email_domains": domains,
                "organizations": organizations,
                "rate_per_minute": rate_per_minute,
            },
        )
    return ra, credentials


def remove_ra(
    name: str, *, actor: Actor | None = None, now: datetime | None = None
) -> RegisteredRa:
    """Refuse RA ``name`` from now on, whatever its certificate's validity."""
    now = now or timezone.now()
    with transaction.atomic():
        ra = RegisteredRa.objects.select_for_update().filter(name=name).first()
        if ra is None:
            raise RegistrationError(f"no RA named {name!r}")
        if ra.removed:
            return ra
        ra.removed, ra.removed_at = True, now
        ra.save(update_fields=["removed", "removed_at"])
        record("signer.ra_removed", actor=actor or Actor.cli(), obj=ra, data={"name": name}, at=now)
    return ra


def registered(fingerprint: str) -> RegisteredRa | None:
    """The RA whose client certificate has ``fingerprint``, unless removed (asked on every
    request: a removed RA whose certificate is still valid is refused)."""
    return RegisteredRa.objects.filter(certificate_fingerprint=fingerprint, removed=False).first()
