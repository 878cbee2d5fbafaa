"""A person signs in through the campus IdP: the one place that decides who they are.

The IdP's word is (issuer, subject). It reaches a Django user only through an
``SsoIdentity`` binding made at the first sign-in; a user is never found by name. A first
sign-in whose uid is already a Django user's name (a local staff or break-glass account, or
someone another IdP subject signed in as) is refused, not merged. The directory Person is
linked, and — by ``JITSUIN_SSO_PROVISIONING`` — updated or created from the attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.access.services import record_sign_in
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import actor_label, record
from jitsuin.config import current
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person
from jitsuin.lifecycle.people import add_person, update_person
from jitsuin.sso.models import SsoIdentity

logger = logging.getLogger(__name__)

# Refused sign-ins from one address are audited up to JITSUIN_LOGIN_ADDRESS_LIMIT per this span.
REFUSALS_COUNTED_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class SsoAssertion:
    """What an IdP asserted, after the protocol layer checked signature, audience and time."""

    method: str  # "oidc" | "saml"
    issuer: str  # OIDC iss / SAML IdP entityID
    subject: str  # OIDC sub / SAML scoped ePPN
    uid: str  # the directory uid (OIDC uid claim / SAML scoped ePPN)
    email: str = ""
    name_en: str = ""
    name_ja: str = ""
    name_kana: str = ""  # the reading, where the IdP sends one
    affiliation: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)


# Each reason a sign-in is refused, with what the person is told (and what to do next).
_MESSAGES = {
    "scope": lambda: _(
        "Your identity provider may not sign in users of this domain. Sign in through your "
        "own institution's IdP."
    ),
    "idp-not-allowed": lambda: _("This identity provider is not accepted by this portal."),
    "no-uid": lambda: _(
        "Your identity provider did not send your user ID (eduPersonPrincipalName or the "
        "configured claim). Ask the IT center to release it to this portal."
    ),
    "no-email": lambda: _(
        "Your identity provider did not send an e-mail address, and this portal has no "
        "directory entry for you. Ask the IT center to release your e-mail address or to "
        "register you."
    ),
    "uid-taken": lambda: _(
        "This user ID belongs to another account of this portal, so single sign-on cannot "
        "use it. Contact the helpdesk."
    ),
    "person-linked-elsewhere": lambda: _(
        "Your directory entry is already linked to another sign-in. Contact the helpdesk."
    ),
    "inactive": lambda: _("This account is disabled. Contact the helpdesk."),
    "token": lambda: _(
        "The answer from the identity provider could not be verified (signature, issuer, "
        "audience or time). Sign in again; if it happens again, contact the helpdesk."
    ),
    "state": lambda: _(
        "This sign-in was already used or has expired. Start again from the sign-in page."
    ),
    "idp-unavailable": lambda: _(
        "The campus sign-in service did not answer. Try again in a few minutes."
    ),
    "metadata": lambda: _(
        "The identity providers' metadata could not be loaded or verified. Contact the helpdesk."
    ),
    "cancelled": lambda: _("The sign-in was cancelled at the identity provider."),
}
REASONS = frozenset(_MESSAGES)


class SsoRefused(Exception):
    """A sign-in refused for a reason the person can be told (``reason`` is a code)."""

    def __init__(
        self, reason: str, *, method: str, issuer: str = "", uid: str = "", detail: str = ""
    ) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        super().__init__(f"{method} sign-in refused ({reason}){': ' + detail if detail else ''}")
        self.reason = reason
        self.method = method
        self.issuer = issuer
        self.uid = uid
        self.detail = detail

    def message(self) -> str:
        return str(_MESSAGES[self.reason]())


def provisioning() -> str:
    return str(getattr(settings, "JITSUIN_SSO_PROVISIONING", "off"))


def _address(request: HttpRequest | None) -> str:
    return str(getattr(request, "client_address", "") or "")


def sign_in(request: HttpRequest | None, assertion: SsoAssertion) -> AbstractBaseUser:
    """The Django user bound to ``assertion``'s (issuer, subject), made at the first sign-in;
    the directory Person linked and, by provisioning, kept up to date; audited.

    Raises ``SsoRefused`` (nothing is changed then).
    """
    if not assertion.uid or not assertion.subject:
        raise SsoRefused("no-uid", method=assertion.method, issuer=assertion.issuer)
    now = timezone.now()
    with transaction.atomic():
        identity = (
            SsoIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=assertion.issuer, subject=assertion.subject)
            .first()
        )
        if identity is None:
            identity = _first_sign_in(assertion)
        else:
            identity.uid = assertion.uid
            identity.attributes = dict(assertion.attributes)
            identity.last_sign_in_at = now
            identity.save(update_fields=["uid", "attributes", "last_sign_in_at"])
        user = identity.user
        if not user.is_active or Person.objects.filter(user=user, active=False).exists():
            raise SsoRefused(
                "inactive", method=assertion.method, issuer=assertion.issuer, uid=assertion.uid
            )
        _keep_person(user, assertion)
    record_sign_in(
        user,
        method=assertion.method,
        second_factor=False,
        address=_address(request),
        issuer=assertion.issuer,
    )
    return user


def _first_sign_in(assertion: SsoAssertion) -> SsoIdentity:
    """Bind a new (issuer, subject) to a new Django user named by the uid — refused when the
    name is taken: SSO never signs in to an account someone else made."""
    users = get_user_model()
    refusal = {"method": assertion.method, "issuer": assertion.issuer, "uid": assertion.uid}
    if users.objects.filter(username=assertion.uid).exists():
        raise SsoRefused("uid-taken", **refusal)
    person = Person.objects.select_for_update().filter(uid=assertion.uid).first()
    if person is not None and person.user_id is not None:
        raise SsoRefused("person-linked-elsewhere", **refusal)
    if person is None and provisioning() == "create" and not assertion.email:
        raise SsoRefused("no-email", **refusal)
    user = users.objects.create_user(username=assertion.uid, email=assertion.email)
    return _bind(
        user,
        method=assertion.method,
        issuer=assertion.issuer,
        subject=assertion.subject,
        actor=actor_label(user),
        attributes=dict(assertion.attributes),
        uid=assertion.uid,
    )


def _bind(
    user: AbstractBaseUser,
    *,
    method: str,
    issuer: str,
    subject: str,
    actor: str,
    attributes: dict[str, Any] | None = None,
    uid: str = "",
    explicit: bool = False,
) -> SsoIdentity:
    """The binding of (issuer, subject) to ``user``, audited (``sso.identity_linked``)."""
    now = timezone.now()
    identity = SsoIdentity.objects.create(
        user=user,
        method=method,
        issuer=issuer,
        subject=subject,
        uid=uid or user.get_username(),
        attributes=attributes or {},
        linked_at=now,
        last_sign_in_at=now,
    )
    data: dict[str, Any] = {"method": method, "issuer": issuer, "uid": identity.uid}
    if explicit:
        data.update(subject=subject, explicit=True)
    record("sso.identity_linked", actor=actor, obj=identity, data=data)
    return identity


def _keep_person(user: AbstractBaseUser, assertion: SsoAssertion) -> None:
    """Link the directory entry with the user's uid; by provisioning, create or update it."""
    actor = actor_label(user)
    person = Person.objects.select_for_update().filter(user=user).first()
    if person is None:
        person = (
            Person.objects.select_for_update()
            .filter(uid=user.get_username(), user__isnull=True)
            .first()
        )
        if person is None and provisioning() == "create" and assertion.email:
            try:
                person = add_person(
                    user.get_username(),
                    email=assertion.email,
                    actor=actor,
                    name_en=assertion.name_en,
                    name_ja=assertion.name_ja,
                    name_kana=assertion.name_kana,
                    affiliation=assertion.affiliation,
                )
            except NotAllowed:  # created meanwhile by a directory sync: link that one
                person = Person.objects.select_for_update().get(uid=user.get_username())
        if person is None:
            return  # no directory entry: the portal says so and names the helpdesk
        person.user = user
        person.save(update_fields=["user"])
        record("person.linked", actor=actor, obj=person, data={"uid": person.uid})
    if provisioning() in ("update", "create"):
        update_person(
            person,
            actor=actor,
            email=assertion.email,
            name_en=assertion.name_en,
            name_ja=assertion.name_ja,
            name_kana=assertion.name_kana,
            affiliation=assertion.affiliation,
        )


def record_refusal(request: HttpRequest | None, refused: SsoRefused) -> bool:
    """Audit a refused SSO sign-in (``access.sso_refused``); returns False when not recorded.

    Anyone who reaches the portal can send refused callbacks: past
    ``JITSUIN_LOGIN_ADDRESS_LIMIT`` refusals from one address in an hour, further ones are
    logged in one line instead, so that the audit log cannot be flooded.
    """
    address = _address(request)
    limit = current().login_address_limit
    since = timezone.now() - REFUSALS_COUNTED_FOR
    with transaction.atomic():
        if (
            address
            and limit
            and (
                AuditEvent.objects.filter(
                    action="access.sso_refused", at__gte=since, data__address=address
                ).count()
                >= limit
            )
        ):
            logger.warning(
                "SSO refusal from %s not audited (%d in the last hour): %s",
                address,
                limit,
                refused.reason,
            )
            return False
        record(
            "access.sso_refused",
            data={
                "method": refused.method,
                "issuer": refused.issuer[:500],
                "reason": refused.reason,
                "uid": refused.uid[:150],
                "detail": refused.detail[:500],
                "address": address,
            },
        )
    return True


def link_identity(
    user: AbstractBaseUser, *, method: str, issuer: str, subject: str, actor: str
) -> SsoIdentity:
    """Bind (issuer, subject) to an existing user, by an administrator's explicit decision
    (a uid renamed at the IdP, an account made before SSO). Refuses a binding that exists."""
    with transaction.atomic():
        if SsoIdentity.objects.filter(issuer=issuer, subject=subject).exists():
            raise NotAllowed(_("This SSO identity is already linked."), code="exists")
        return _bind(
            user, method=method, issuer=issuer, subject=subject, actor=actor, explicit=True
        )
