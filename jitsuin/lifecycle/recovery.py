"""S/MIME key archive and recovery (docs/key-recovery.md), each fact in one function.

At issuance ``archive_key`` encrypts a server-made key of an S/MIME profile to the
institution's recovery PUBLIC key (``pki.keyarchive``); the server can never open it.
A recovery is asked for by the owner (``request_own_recovery``: approved at once, the owner
having signed in with a second factor) or, for someone else's key, by a CA admin
(``request_recovery_for``), which two other CA admins must approve (``approve``). Approved
recoveries are processed where the recovery private key is (``process_approved``, run by
``jitsuin recovery process``): the key is decrypted in memory and handed out as a one-time
PKCS#12 pickup with a new PIN, exactly like an issuance, and the owner is e-mailed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import certificate_of, chain_of
from jitsuin.config import current
from jitsuin.lifecycle import notifications, pickups
from jitsuin.lifecycle.errors import InvalidState, NotAllowed, NotFound
from jitsuin.lifecycle.models import (
    Certificate,
    KeyArchive,
    KeyRecovery,
    Person,
    Pickup,
    Profile,
    RecoveryState,
)
from jitsuin.pki.keyarchive import (
    KeyArchiveError,
    key_id,
    load_recovery_public_key,
    recover_key,
)
from jitsuin.pki.keyarchive import (
    archive_key as encrypt_to_recovery_key,
)
from jitsuin.pki.keys import PrivateKey
from jitsuin.pki.profiles import end_entity_profile

# The console permission of CA admins who ask for and approve recoveries of others' keys.
RECOVER_KEYS_PERMISSION = "console.recover_keys"

MAX_REASON = 1000
OPEN_STATES = (RecoveryState.AWAITING_APPROVAL, RecoveryState.APPROVED)


class Archiving(enum.StrEnum):
    ON = "on"  # S/MIME profile and a recovery key configured
    NO_RECOVERY_KEY = "no-recovery-key"  # S/MIME profile, but JITSUIN_KEY_RECOVERY_KEY unset
    NOT_APPLICABLE = "not-applicable"  # client authentication only: never archived


def archiving_for(profile: Profile) -> Archiving:
    """Whether keys made for ``profile`` are archived (the portal says so before issuance)."""
    if not end_entity_profile(profile.template).archives_key:
        return Archiving.NOT_APPLICABLE
    if current().key_recovery_key_pem is None:
        return Archiving.NO_RECOVERY_KEY
    return Archiving.ON


def _bound_to(certificate: Certificate) -> str:
    return f"certificate:{certificate.fingerprint_sha256}"


def archive_key(certificate: Certificate, key: PrivateKey, *, now: datetime) -> KeyArchive | None:
    """Archive ``key`` of the just-issued ``certificate`` when its profile archives keys and
    a recovery key is configured; else nothing. Runs in the issuing transaction."""
    pem = current().key_recovery_key_pem
    if pem is None or not end_entity_profile(certificate.profile.template).archives_key:
        return None
    public = load_recovery_public_key(pem)
    archive = KeyArchive.objects.create(
        certificate=certificate,
        encrypted_key=encrypt_to_recovery_key(key, public, bound_to=_bound_to(certificate)),
        recovery_key_id=key_id(public),
        created_at=now,
    )
    record(
        "key.archived",
        obj=archive,
        at=now,
        data={"serial": certificate.serial, "recovery_key": archive.recovery_key_id[:16]},
    )
    return archive


def archives_of(person: Person) -> QuerySet[KeyArchive]:
    """The person's archived keys, revoked and expired certificates included."""
    return (
        KeyArchive.objects.filter(certificate__person=person)
        .select_related("certificate__issuer", "certificate__profile")
        .order_by("-created_at", "-pk")
    )


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise NotAllowed(_("Say why the key is to be recovered."))
    return reason


def _create(
    archive: KeyArchive,
    *,
    recipient: AbstractBaseUser,
    actor: str,
    reason: str,
    for_owner: bool,
    now: datetime,
) -> KeyRecovery:
    state = RecoveryState.APPROVED if for_owner else RecoveryState.AWAITING_APPROVAL
    try:
        with transaction.atomic():
            recovery = KeyRecovery.objects.create(
                archive=archive,
                for_owner=for_owner,
                recipient=recipient,
                requested_by=actor,
                reason=reason,
                state=state,
                created_at=now,
            )
            record(
                "key_recovery.requested",
                actor=actor,
                obj=recovery,
                at=now,
                data={
                    "serial": archive.certificate.serial,
                    "owner": archive.certificate.person.uid,
                    "for_owner": for_owner,
                    "reason": reason,
                },
            )
    except IntegrityError:
        raise NotAllowed(
            _("A recovery of this key is already waiting; it is processed soon.")
        ) from None
    return recovery


def request_own_recovery(
    person: Person,
    archive_id: int,
    *,
    user: AbstractBaseUser,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> KeyRecovery:
    """The owner asks for their own archived key back: approved at once (the portal asks a
    second factor first). Another person's archive is NotFound."""
    archive = (
        archives_of(person).select_related("certificate__person").filter(pk=archive_id).first()
    )
    if archive is None:
        raise NotFound(_("No such archived key."))
    return _create(
        archive,
        recipient=user,
        actor=actor,
        reason=_clean_reason(reason),
        for_owner=True,
        now=now or timezone.now(),
    )


def request_recovery_for(
    archive: KeyArchive,
    *,
    staff_user: AbstractBaseUser,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> KeyRecovery:
    """A CA admin asks for someone else's key (a departed member, a legal hold): it waits
    for two other CA admins' approval and then goes to ``staff_user``."""
    _require_recoverer(staff_user)
    return _create(
        archive,
        recipient=staff_user,
        actor=actor,
        reason=_clean_reason(reason),
        for_owner=False,
        now=now or timezone.now(),
    )


def _require_recoverer(user: AbstractBaseUser) -> None:
    """The service checks the role itself, whatever page or command called it."""
    if not user.is_active or not user.has_perm(RECOVER_KEYS_PERMISSION):
        raise NotAllowed(_("Only a CA admin can ask for or approve someone else's key."))


def approve(
    recovery: KeyRecovery, *, approver: AbstractBaseUser, now: datetime | None = None
) -> KeyRecovery:
    """One CA admin's approval of a recovery for someone else. The requester cannot approve,
    nor can one admin approve twice; after the second approval it can be processed."""
    _require_recoverer(approver)
    actor = str(Actor.staff(approver.get_username()))
    now = now or timezone.now()
    with transaction.atomic():
        recovery = KeyRecovery.objects.select_for_update().get(pk=recovery.pk)
        if recovery.state != RecoveryState.AWAITING_APPROVAL:
            raise InvalidState(_("This recovery is not waiting for approval."))
        if actor == recovery.requested_by:
            raise NotAllowed(_("Whoever asked for a recovery cannot approve it."))
        if actor == recovery.first_approver:
            raise NotAllowed(_("A second CA admin must give the second approval."))
        if not recovery.first_approver:
            recovery.first_approver, recovery.first_approved_at = actor, now
        else:
            recovery.second_approver, recovery.second_approved_at = actor, now
            recovery.state = RecoveryState.APPROVED
        recovery.save()
        record(
            "key_recovery.approved",
            actor=actor,
            obj=recovery,
            at=now,
            data={
                "approval": 2 if recovery.second_approver else 1,
                "serial": recovery.archive.certificate.serial,
            },
        )
    return recovery


def cancel(recovery: KeyRecovery, *, actor: str, now: datetime | None = None) -> KeyRecovery:
    """Withdraw a recovery that was not yet processed."""
    now = now or timezone.now()
    with transaction.atomic():
        recovery = KeyRecovery.objects.select_for_update().get(pk=recovery.pk)
        if recovery.state not in (RecoveryState.AWAITING_APPROVAL, RecoveryState.APPROVED):
            raise InvalidState(_("This recovery can no longer be cancelled."))
        recovery.state = RecoveryState.CANCELLED
        recovery.save(update_fields=["state"])
        record("key_recovery.cancelled", actor=actor, obj=recovery, at=now, data={})
    return recovery


@dataclass(frozen=True)
class Processed:
    recovery: KeyRecovery
    pickup: Pickup | None
    error: str = ""


def _matches(key: PrivateKey, leaf: x509.Certificate) -> bool:
    def spki(public: object) -> bytes:
        return public.public_bytes(  # type: ignore[attr-defined, no-any-return]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return spki(key.public_key()) == spki(leaf.public_key())


def _chain(issuer: Authority) -> list[x509.Certificate]:
    return [certificate_of(a) for a in chain_of(issuer)]


def process_one(
    recovery: KeyRecovery,
    recovery_key: rsa.RSAPrivateKey,
    *,
    actor: str,
    now: datetime | None = None,
) -> Pickup:
    """Decrypt an APPROVED recovery's key in memory and hand it out as a one-time pickup with
    a new PIN; the owner is e-mailed. Anything else raises (nothing is written then)."""
    now = now or timezone.now()
    with transaction.atomic():
        recovery = (
            KeyRecovery.objects.select_for_update(of=("self",))
            .select_related("archive__certificate__person", "archive__certificate__profile")
            .get(pk=recovery.pk)
        )
        if recovery.state != RecoveryState.APPROVED:
            raise InvalidState(
                _("Recovery #%(id)s is not approved (it is %(state)s).")
                % {"id": recovery.pk, "state": recovery.get_state_display()}
            )
        archive = recovery.archive
        certificate = archive.certificate
        if archive.recovery_key_id != key_id(recovery_key.public_key()):
            raise NotAllowed(
                _("Recovery #%(id)s: the key was archived to another recovery key (%(kid)s…).")
                % {"id": recovery.pk, "kid": archive.recovery_key_id[:16]}
            )
        try:
            key = recover_key(
                bytes(archive.encrypted_key), recovery_key, bound_to=_bound_to(certificate)
            )
        except KeyArchiveError as exc:
            raise NotAllowed(f"Recovery #{recovery.pk}: {exc}") from exc
        leaf = x509.load_der_x509_certificate(bytes(certificate.der))
        if not _matches(key, leaf):
            raise NotAllowed(f"Recovery #{recovery.pk}: the archived key is not the certificate's")
        pickup = pickups.create_pickup(
            None,
            certificate,
            key=key,
            leaf=leaf,
            chain=_chain(certificate.issuer),
            now=now,
            recovery=recovery,
        )
        recovery.state = RecoveryState.RECOVERED
        recovery.processed_by = actor
        recovery.processed_at = now
        recovery.save(update_fields=["state", "processed_by", "processed_at"])
        record(
            "key.recovered",
            actor=actor,
            obj=recovery,
            at=now,
            data={
                "serial": certificate.serial,
                "owner": certificate.person.uid,
                "requested_by": recovery.requested_by,
                "approvers": [a for a in (recovery.first_approver, recovery.second_approver) if a],
                "pickup": pickup.pk,
            },
        )
        notifications.key_recovered(recovery, pickup)
    return pickup


def approved_recoveries(ids: Iterable[int] = ()) -> QuerySet[KeyRecovery]:
    found = KeyRecovery.objects.filter(state=RecoveryState.APPROVED).order_by("pk")
    wanted = list(ids)
    return found.filter(pk__in=wanted) if wanted else found


def process_approved(
    recovery_key: rsa.RSAPrivateKey,
    *,
    actor: str,
    ids: Iterable[int] = (),
    now: datetime | None = None,
) -> list[Processed]:
    """``process_one`` for every approved recovery (or those of ``ids``); one that fails is
    reported and left approved, the others go on."""
    done = []
    for recovery in approved_recoveries(ids):
        try:
            pickup = process_one(recovery, recovery_key, actor=actor, now=now)
        except (NotAllowed, InvalidState) as exc:
            done.append(Processed(recovery, None, str(exc.message)))
        else:
            done.append(Processed(recovery, pickup))
    return done


def pickup_for_recipient(user: AbstractBaseUser, pickup_id: int) -> Pickup:
    """A recovery's pickup, for the staff member it was made for only."""
    pickup = (
        Pickup.objects.select_related("certificate__person", "certificate__profile", "recovery")
        .filter(pk=pickup_id, recovery__recipient_id=user.pk, recovery__for_owner=False)
        .first()
    )
    if pickup is None:
        raise NotFound(_("No such download."))
    return pickup
