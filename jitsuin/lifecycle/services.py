"""Lifecycle services: every user-visible action on requests, pickups and exceptions.

Each function owns its transaction, locks what it changes, goes through the state table
(``transitions.transition``), writes the audit event and enqueues follow-up work on
commit. Errors are ``jitsuin.lifecycle.errors`` types with translatable messages.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.lifecycle import pickups, transitions
from jitsuin.lifecycle.errors import InvalidState, NotAllowed, NotFound
from jitsuin.lifecycle.interventions import cancel_request, retry_request
from jitsuin.lifecycle.issue_requests import (
    IssueItem,
    IssueOutcome,
    default_profile,
    request_issue,
    request_issue_many,
)
from jitsuin.lifecycle.maintenance import hold_new_request
from jitsuin.lifecycle.models import (
    Certificate,
    CertificateStatus,
    Person,
    Pickup,
    PolicyException,
    Profile,
    Request,
    RequestKind,
    RequestState,
    RolloverPolicy,
)
from jitsuin.pki.crl import parse_reason

__all__ = [
    "cancel_request",
    "collect_for_profile",
    "collect_pickup",
    "confirm_new_certificate",
    "default_profile",
    "grant_exception",
    "issue_anew",
    "IssueItem",
    "IssueOutcome",
    "request_issue",
    "request_issue_many",
    "request_revoke",
    "retry_request",
    "reveal_pin",
    "revoke_exception",
]


# Re-exported: the pickup services live next to the PKCS#12 code.
collect_pickup = pickups.collect_pickup
collect_for_profile = pickups.collect_for_profile
reveal_pin = pickups.reveal_pin


def _lock_person(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def _existing(person: Person, idempotency_key: str) -> Request | None:
    existing = Request.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.person_id != person.pk:
        raise NotAllowed(_("This request key was already used."), code="idempotency_key_reused")
    return existing


def _new_request(**fields: object) -> Request | None:
    """Insert a request, or None when a concurrent one won a uniqueness race."""
    try:
        with transaction.atomic():
            return Request.objects.create(**fields)
    except IntegrityError:
        return None


def request_revoke(
    certificate: Certificate,
    *,
    actor: str,
    idempotency_key: str,
    reason: str = "unspecified",
    silent: bool = False,
    now: datetime | None = None,
) -> Request:
    """Ask for ``certificate`` to be revoked; an open revocation of it is returned as is.

    ``silent``: the person is told another way (their pickup expired), so neither this
    request nor the revocation sends them an e-mail.
    """
    now = now or timezone.now()
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    try:
        parse_reason(reason)
    except ValueError as exc:
        raise NotAllowed(
            _("Unknown revocation reason: %(reason)s") % {"reason": reason}, code="bad_reason"
        ) from exc
    with transaction.atomic():
        person = _lock_person(certificate.person)
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        existing = _existing(person, idempotency_key)
        if existing is not None:
            return existing
        open_revoke = Request.objects.open_revocations().filter(target=certificate).first()
        if open_revoke is not None:
            return open_revoke
        if certificate.status == CertificateStatus.REVOKED:
            raise InvalidState(_("This certificate is already revoked."), code="already_revoked")
        if certificate.not_after <= now:
            raise InvalidState(
                _("This certificate has expired; it needs no revocation."), code="expired"
            )
        request = _new_request(
            kind=RequestKind.REVOKE,
            person=person,
            profile=certificate.profile,
            target=certificate,
            state=RequestState.QUEUED,
            state_changed_at=now,
            created_at=now,
            requested_by=actor,
            reason=reason,
            silent=silent,
            idempotency_key=idempotency_key,
        )
        if request is None:
            raise NotAllowed(_("Please try again."), code="conflict")
        transitions.record_creation(request, actor=actor, now=now, note=reason)
        return hold_new_request(request, actor=actor, now=now)


def confirm_new_certificate(
    certificate: Certificate, *, actor: str, now: datetime | None = None
) -> None:
    """The holder says ``certificate`` is installed on every device: revoke what it supersedes.

    The only way an overlap ends at once; sightings never do (see lifecycle.overlap).
    """
    now = now or timezone.now()
    if certificate.status != CertificateStatus.VALID:
        raise InvalidState(_("This certificate is not valid."), code="not_valid")
    with transaction.atomic():
        record(
            "certificate.confirmed",
            actor=actor,
            obj=certificate,
            at=now,
            data={"serial": certificate.serial},
        )
        for old in Certificate.objects.filter(superseded_by=certificate).live(now=now):
            request_revoke(
                old,
                actor=actor,
                idempotency_key=f"superseded:{old.pk}",
                reason="superseded",
                now=now,
            )


def grant_exception(
    person: Person,
    profile: Profile,
    *,
    policy: str,
    actor: str,
    reason: str,
    expires_at: datetime | None = None,
) -> PolicyException:
    """Let ``person`` roll over under ``policy`` instead of the profile's own."""
    if policy not in RolloverPolicy.values:
        raise NotAllowed(_("Unknown rollover policy: %(policy)s") % {"policy": policy})
    if not reason:
        raise NotAllowed(_("Give a reason for the exception."), code="reason_required")
    with transaction.atomic():
        exception, _created = PolicyException.objects.update_or_create(
            person=person,
            profile=profile,
            defaults={
                "policy": policy,
                "reason": reason,
                "granted_by": actor,
                "expires_at": expires_at,
            },
        )
        record(
            "policy_exception.granted",
            actor=actor,
            obj=exception,
            data={
                "person": person.uid,
                "profile": profile.slug,
                "policy": policy,
                "reason": reason,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        return exception


def revoke_exception(exception: PolicyException, *, actor: str, reason: str) -> None:
    with transaction.atomic():
        record(
            "policy_exception.withdrawn",
            actor=actor,
            obj=exception,
            data={
                "person": exception.person.uid,
                "profile": exception.profile.slug,
                "reason": reason,
            },
        )
        exception.delete()


def issue_anew(
    person: Person, *, actor: str, reason: str, idempotency_key: str, now: datetime | None = None
) -> Request:
    """A new request after a pickup expired uncollected (same profile as the lost one)."""
    lost = (
        Request.objects.filter(person=person, kind=RequestKind.ISSUE, state=RequestState.EXPIRED)
        .order_by("-state_changed_at")
        .first()
    )
    if lost is None:
        raise NotFound(_("There is no expired download to replace."), code="nothing_expired")
    with transaction.atomic():
        request = request_issue(
            person, actor=actor, idempotency_key=idempotency_key, profile=lost.profile, now=now
        )
        record(
            "request.issue.anew",
            actor=actor,
            obj=request,
            data={"replaces_request": lost.pk, "reason": reason},
        )
        return request


def pickup_for(person: Person, pickup_id: int) -> Pickup:
    """The person's own pickup, else NotFound (never someone else's)."""
    pickup = (
        Pickup.objects.select_related("certificate__profile", "request__profile")
        .filter(
            Q(request__person=person) | Q(recovery__for_owner=True, certificate__person=person),
            pk=pickup_id,
        )
        .first()
    )
    if pickup is None:
        raise NotFound(_("No such download."))
    return pickup
