"""Leavers: a person deactivated, and after a grace their certificates revoked.

``deactivate`` and ``reactivate`` are the one place where "this person left" and "this person
is back" happen: the CLI, the CSV import, the API and (later) SCIM call them by name. A
deactivation opens a :class:`Leaver` whose grace is ``JITSUIN_LEAVER_GRACE_DAYS``; when it ends
(at once for 0, through the same path) :func:`finish` revokes every valid certificate with
reason ``cessationOfOperation`` through the revocation service, wipes pickups, cancels open
issue requests and e-mails the person and the helpdesk once each.

``finish`` may run twice or from two workers at once: it locks the leaver row and carries it
out only while it is still pending, in one transaction (a worker that dies mid-way leaves it
pending for the next run); the revocations and e-mails are keyed, so nothing happens twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.lifecycle import notifications, pickups, transitions
from jitsuin.lifecycle.models import (
    CertificateStatus,
    Leaver,
    LeaverState,
    Person,
    Pickup,
    PickupState,
    Request,
    RequestState,
)
from jitsuin.lifecycle.services import request_revoke

logger = logging.getLogger("jitsuin.leavers")

LEAVER_REASON = "cessationOfOperation"
SWEEP_BATCH = 200
# Named for the worker's task, as transitions does for the pipeline's (no import cycle).
ENQUEUE_FINISH = "jitsuin.lifecycle.tasks.enqueue_leaver"


def grace() -> timedelta:
    return timedelta(days=current().pipeline.leaver_grace_days)


def pending_leaver(person: Person) -> Leaver | None:
    return Leaver.objects.filter(person=person, state=LeaverState.PENDING).first()


def latest_leaver(person: Person) -> Leaver | None:
    return Leaver.objects.filter(person=person).first()


def _schedule_finish(leaver: Leaver) -> None:
    enqueue = import_string(ENQUEUE_FINISH)
    leaver_id, at = leaver.pk, leaver.grace_ends_at
    transaction.on_commit(lambda: enqueue(leaver_id, at=at))


def deactivate(
    person: Person, *, actor: str, reason: str = "", now: datetime | None = None
) -> Leaver:
    """Mark ``person`` inactive (audited) and start the leaver grace. A person already
    inactive keeps the leaver they have: the latest one is returned, nothing changes (one
    made inactive before leavers existed gets one)."""
    now = now or timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        existing = pending_leaver(person)
        latest = existing or latest_leaver(person)
        if not person.active and latest is not None:
            return latest
        leaver = existing or Leaver.objects.create(
            person=person,
            reason=reason,
            deactivated_by=actor,
            deactivated_at=now,
            grace_ends_at=now + grace(),
        )
        if person.active:
            person.active = False
            person.save(update_fields=["active"])
        record(
            "person.deactivated",
            actor=actor,
            obj=person,
            at=now,
            data={
                "uid": person.uid,
                "reason": reason,
                "leaver": leaver.pk,
                "grace_ends_at": leaver.grace_ends_at.isoformat(),
            },
        )
        _schedule_finish(leaver)
    if leaver.grace_ends_at <= now:
        # Grace 0: carried out now, by the same function the worker runs.
        finish(leaver.pk, now=now)
        leaver.refresh_from_db()
    return leaver


def reactivate(person: Person, *, actor: str, now: datetime | None = None) -> Leaver | None:
    """Mark ``person`` active again (audited). Within the grace the pending revocation is
    cancelled and that leaver returned; after it there is nothing to undo (the certificates
    stay revoked, the person may ask for new ones) and None is returned."""
    now = now or timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        leaver = pending_leaver(person)
        if leaver is not None:
            leaver = Leaver.objects.select_for_update().get(pk=leaver.pk)
            _close(leaver, LeaverState.CANCELLED, actor=actor, now=now)
            record(
                "leaver.cancelled",
                actor=actor,
                obj=leaver,
                at=now,
                data={"uid": person.uid, "grace_ends_at": leaver.grace_ends_at.isoformat()},
            )
        if person.active and leaver is None:
            return None
        person.active = True
        person.save(update_fields=["active"])
        record(
            "person.reactivated",
            actor=actor,
            obj=person,
            at=now,
            data={"uid": person.uid, "cancelled_leaver": leaver.pk if leaver else None},
        )
        return leaver


def _close(leaver: Leaver, state: str, *, actor: str, now: datetime) -> None:
    leaver.state = state
    leaver.finished_at = now
    leaver.finished_by = actor
    leaver.save(update_fields=["state", "finished_at", "finished_by"])


def _lock_pending(leaver_id: int) -> Leaver | None:
    rows = Leaver.objects.filter(pk=leaver_id, state=LeaverState.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        # Another worker carrying it out now: leave it to them.
        locked = rows.select_for_update(skip_locked=True, of=("self",))
        return locked.select_related("person").first()
    return rows.select_for_update().select_related("person").first()


def finish(leaver_id: int, *, now: datetime | None = None) -> bool:
    """Carry out a leaver whose grace has ended; False when it is not due, not pending any
    more, or another worker has it. Everything happens in one transaction."""
    now = now or timezone.now()
    actor = str(Actor.system("leavers"))
    with transaction.atomic():
        leaver = _lock_pending(leaver_id)
        if leaver is None or leaver.grace_ends_at > now:
            return False
        person = leaver.person
        revoked = _revoke_all(leaver, actor=actor, now=now)
        wiped = _wipe_pickups(person, actor=actor, now=now)
        cancelled = _cancel_issues(person, actor=actor, now=now)
        _close(leaver, LeaverState.DONE, actor=actor, now=now)
        record(
            "leaver.done",
            actor=actor,
            obj=leaver,
            at=now,
            data={
                "uid": person.uid,
                "revoked": revoked,
                "pickups_wiped": wiped,
                "requests_cancelled": cancelled,
            },
        )
        if revoked or wiped or cancelled:
            # Someone who never held a certificate (provisioned inactive by SCIM or an import)
            # gets no mail, nor does the helpdesk: there is nothing to tell.
            notifications.leaver_done(leaver, serials=revoked, now=now)
        return True


def _revoke_all(leaver: Leaver, *, actor: str, now: datetime) -> list[str]:
    """A revocation request per valid certificate (silent: the leaver e-mail says it)."""
    serials = []
    live = leaver.person.certificates.filter(status=CertificateStatus.VALID, not_after__gt=now)
    for certificate in live.order_by("pk"):
        request_revoke(
            certificate,
            actor=actor,
            idempotency_key=f"leaver:{leaver.pk}:{certificate.pk}",
            reason=LEAVER_REASON,
            silent=True,
            now=now,
        )
        serials.append(certificate.serial_number.hex)
    return serials


def _wipe_pickups(person: Person, *, actor: str, now: datetime) -> int:
    wiped = 0
    # Their own pickups; a recovery of their key for a staff member (legal hold) stays.
    own = Q(request__person=person) | Q(recovery__for_owner=True, certificate__person=person)
    open_pickups = Pickup.objects.select_for_update(of=("self",)).filter(
        own, state__in=[PickupState.READY, PickupState.COLLECTED]
    )
    for pickup in open_pickups.select_related("certificate"):
        pickups.destroy(pickup, actor=actor, now=now)
        wiped += 1
    return wiped


def _cancel_issues(person: Person, *, actor: str, now: datetime) -> int:
    """Open issue requests end cancelled (no e-mail each: the leaver e-mail covers them)."""
    cancelled = 0
    for request in Request.objects.open_issues().filter(person=person).order_by("pk"):
        if transitions.can(request, RequestState.CANCELLED):
            transitions.transition(
                request, RequestState.CANCELLED, actor=actor, now=now, note="the person left"
            )
            cancelled += 1
    return cancelled


def finish_due(now: datetime) -> int:
    """The periodic sweep: carry out every leaver whose grace has ended (a lost task's too)."""
    due = Leaver.objects.filter(state=LeaverState.PENDING, grace_ends_at__lte=now)
    done = 0
    for leaver_id in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        if finish(leaver_id, now=now):
            done += 1
    return done


__all__ = [
    "LEAVER_REASON",
    "deactivate",
    "finish",
    "finish_due",
    "latest_leaver",
    "pending_leaver",
    "reactivate",
]
