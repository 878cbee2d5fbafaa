"""The staff roles as Django groups, and which console permissions each one holds.

``ensure_roles`` runs after every ``migrate`` (and may be called by demo data); it adds
what is missing and removes console permissions a role should no longer have, recording
in the audit log any change to an existing role.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from jitsuin.access.roles import CA_ADMIN, HELPDESK, OPERATOR
from jitsuin.audit.services import record
from jitsuin.console.models import ConsoleAccess

OPEN = "open_console"
VIEW_PEOPLE = "view_people"
ACT = "act_on_requests"
EXCEPTIONS = "grant_exceptions"
RESEND = "resend_notifications"
NOTICES = "manage_notices"
MAINTENANCE = "manage_maintenance"
AUDIT = "view_audit"
AUTHORITIES = "manage_authorities"
# Starting a campaign makes another intermediate the issuing CA and e-mails every holder,
# so steering one is for CA admins; the others follow it (and the helpdesk its stragglers).
VIEW_CAMPAIGNS = "view_campaigns"
MANAGE_CAMPAIGNS = "manage_campaigns"
# An API token acts for a program with no second factor: only CA admins make or revoke one.
API_TOKENS = "manage_api_tokens"
# Which RADIUS and VPN servers have loaded the newest CRLs: for everyone who answers "my Wi-Fi
# still works with a revoked certificate"; forgetting a host goes with its token (API_TOKENS).
RELYING_PARTIES = "view_relying_parties"
# Recovering someone else's archived S/MIME key reads their mail: CA admins only, and two of
# them besides the one who asks (lifecycle.recovery).
RECOVER_KEYS = "recover_keys"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    HELPDESK: frozenset(
        {OPEN, VIEW_PEOPLE, ACT, EXCEPTIONS, RESEND, VIEW_CAMPAIGNS, RELYING_PARTIES}
    ),
    OPERATOR: frozenset(
        {
            OPEN,
            VIEW_PEOPLE,
            EXCEPTIONS,
            NOTICES,
            MAINTENANCE,
            AUDIT,
            VIEW_CAMPAIGNS,
            RELYING_PARTIES,
        }
    ),
    CA_ADMIN: frozenset(
        {
            OPEN,
            VIEW_PEOPLE,
            ACT,
            MAINTENANCE,
            AUDIT,
            AUTHORITIES,
            VIEW_CAMPAIGNS,
            MANAGE_CAMPAIGNS,
            API_TOKENS,
            RELYING_PARTIES,
            RECOVER_KEYS,
        }
    ),
}


def perm(codename: str) -> str:
    """The ``app_label.codename`` string for ``user.has_perm``."""
    return f"console.{codename}"


def _permissions() -> dict[str, Permission]:
    # After a flush or a re-created database the cached content-type ids are stale.
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get_for_model(ConsoleAccess, for_concrete_model=False)
    found = {}
    for codename, name in ConsoleAccess._meta.permissions:
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        found[codename] = permission
    return found


def ensure_roles() -> dict[str, Group]:
    """The three role groups with exactly their console permissions."""
    with transaction.atomic():
        permissions = _permissions()
        groups = {}
        for role, codenames in ROLE_PERMISSIONS.items():
            group, created = Group.objects.get_or_create(name=role)
            wanted = {permissions[c] for c in codenames}
            current = set(group.permissions.filter(content_type__app_label="console"))
            if wanted != current:
                group.permissions.remove(*(current - wanted))
                group.permissions.add(*(wanted - current))
                if not created:
                    # A role that drifted is news; setting up a fresh database is not.
                    record(
                        "console.role_permissions",
                        obj=group,
                        data={"role": role, "permissions": sorted(codenames)},
                    )
            groups[role] = group
        return groups


def grant_role(user: AbstractBaseUser, role: str, *, actor: str) -> bool:
    """Give ``user`` a staff role (an explicit decision: no sign-in ever grants one).
    Returns False when the user held it already; audits ``access.role_granted``."""
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(sorted(ROLE_PERMISSIONS))}")
    with transaction.atomic():
        group = ensure_roles()[role]
        if user.groups.filter(pk=group.pk).exists():  # type: ignore[attr-defined]
            return False
        user.groups.add(group)  # type: ignore[attr-defined]
        record("access.role_granted", actor=actor, data={"user": user.get_username(), "role": role})
    return True


def withdraw_role(user: AbstractBaseUser, role: str, *, actor: str) -> bool:
    """Take a staff role away; audits ``access.role_withdrawn``. False when not held."""
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(sorted(ROLE_PERMISSIONS))}")
    with transaction.atomic():
        group = Group.objects.filter(name=role).first()
        if group is None or not user.groups.filter(pk=group.pk).exists():  # type: ignore[attr-defined]
            return False
        user.groups.remove(group)  # type: ignore[attr-defined]
        record(
            "access.role_withdrawn", actor=actor, data={"user": user.get_username(), "role": role}
        )
    return True
