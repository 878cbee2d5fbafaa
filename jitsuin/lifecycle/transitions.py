"""The request state machine of DESIGN.md section 4, as a plain table, and its one door.

Every state change of a :class:`Request` goes through :func:`transition`: it locks the row,
checks this table, saves the change, writes a ``RequestTransition`` and an audit event and
enqueues follow-up work on commit. A new request's acknowledgement e-mail is sent from
``record_creation``; other e-mails are sent by the services that make the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jitsuin.audit.services import batched, record
from jitsuin.lifecycle import notifications
from jitsuin.lifecycle.errors import InvalidState
from jitsuin.lifecycle.models import Request, RequestKind, RequestState, RequestTransition
from jitsuin.lifecycle.row_updates import update_each
from jitsuin.notify.batching import batched as notify_batched
from jitsuin.row_inserts import insert_rows

S = RequestState

# kind -> from state -> the states it may move to. "" is a request being created.
TABLE: dict[str, dict[str, frozenset[str]]] = {
    RequestKind.ISSUE: {
        "": frozenset({S.QUEUED}),
        S.QUEUED: frozenset({S.WAITING, S.PROCESSING, S.CANCELLED, S.FAILED}),
        S.WAITING: frozenset({S.QUEUED, S.PROCESSING, S.CANCELLED, S.FAILED}),
        # processing -> waiting: maintenance began, or a retry after a transient error.
        S.PROCESSING: frozenset({S.READY, S.DONE, S.WAITING, S.FAILED, S.CANCELLED}),
        S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
        S.READY: frozenset({S.COLLECTED, S.EXPIRED}),
        S.COLLECTED: frozenset(),
        S.DONE: frozenset(),  # issued from a CSR: nothing to pick up
        S.CANCELLED: frozenset(),
        S.EXPIRED: frozenset(),
    },
    RequestKind.REVOKE: {
        "": frozenset({S.QUEUED}),
        S.QUEUED: frozenset({S.WAITING, S.PROCESSING, S.CANCELLED, S.FAILED}),
        S.WAITING: frozenset({S.QUEUED, S.PROCESSING, S.CANCELLED, S.FAILED}),
        # Once the upstream has it, a revocation cannot be cancelled any more.
        S.PROCESSING: frozenset({S.DONE, S.WAITING, S.FAILED}),
        S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
        S.DONE: frozenset(),
        S.CANCELLED: frozenset(),
    },
}

# States in which the worker has something to do.
WORKABLE = frozenset({S.QUEUED, S.WAITING, S.PROCESSING})
TERMINAL = frozenset(
    state for kind in TABLE.values() for state, targets in kind.items() if state and not targets
)


def allowed(kind: str, from_state: str, to_state: str) -> bool:
    return to_state in TABLE[kind].get(from_state, frozenset())


def can(request: Request, to_state: str) -> bool:
    return allowed(request.kind, request.state, to_state)


def lock(request: Request | int) -> Request:
    """The request's row, locked for the rest of the caller's transaction."""
    pk = request if isinstance(request, int) else request.pk
    return Request.objects.select_for_update().select_related("person", "profile").get(pk=pk)


# The queue is the boundary between this state machine and the worker that drives it
# (tasks -> pipeline -> transitions): the task is addressed by name, as jobs/schedule.py does.
ENQUEUE_PROCESSING = "jitsuin.lifecycle.tasks.enqueue_processing"
ENQUEUE_PROCESSING_NOW = "jitsuin.lifecycle.tasks.enqueue_processing_now"


def schedule(request_id: int, at: datetime | None = None) -> None:
    """Process ``request_id`` (at ``at``) once the current transaction commits."""
    enqueue = import_string(ENQUEUE_PROCESSING)
    transaction.on_commit(lambda: enqueue(request_id, at=at))


def _follow_up(request: Request) -> None:
    """Work to enqueue once the change is committed."""
    if request.state == S.QUEUED:
        schedule(request.pk)
    elif request.state == S.WAITING and request.not_before is not None:
        schedule(request.pk, request.not_before)


def record_creation(request: Request, *, actor: str, now: datetime, note: str = "") -> None:
    """The first transition ("" -> queued) of a request just inserted in this transaction."""
    record_creation_many([request], actor=actor, now=now, notes={request.pk: note})


def record_creation_many(
    requests: list[Request], *, actor: str, now: datetime, notes: dict[int, str] | None = None
) -> None:
    """``record_creation`` for requests inserted together: one history INSERT, one audit
    append, one outbox INSERT for their acknowledgements and one for their tasks, all in the
    caller's transaction (the tasks' rows too: jobs.enqueue)."""
    if not requests:
        return
    notes = notes or {}
    insert_rows(
        [
            RequestTransition(
                request=r, from_state="", to_state=r.state, at=now, actor=actor,
                note=notes.get(r.pk, ""),
            )
            for r in requests
        ]
    )  # fmt: skip
    with batched(), notify_batched():
        for request in requests:
            record(
                f"request.{request.kind}.created",
                actor=actor,
                obj=request,
                at=now,
                data={
                    "person": request.person.uid,
                    "profile": request.profile.slug,
                    "target": request.target.serial if request.target_id else None,
                    "state": request.state,
                    "note": notes.get(request.pk, ""),
                },
            )
            if not request.silent:  # a silent revocation: the person hears of it another way
                notifications.request_received(request)
    queued = [r.pk for r in requests if r.state == S.QUEUED]
    import_string(ENQUEUE_PROCESSING_NOW)(queued)


def transition(
    request: Request | int,
    to_state: str,
    *,
    actor: str,
    now: datetime | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    locked: bool = False,
    **changes: Any,
) -> Request:
    """Move ``request`` to ``to_state`` (and set ``changes`` on it) if the table allows it.

    Must run inside ``transaction.atomic()``; returns the locked, updated row.
    ``locked=True`` says the caller locked ``request`` in this same transaction already.
    Raises :class:`InvalidState` with a translatable message otherwise.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside the caller's transaction")
    now = now or timezone.now()
    row = request if locked and isinstance(request, Request) else lock(request)
    from_state = row.state
    if not allowed(row.kind, from_state, to_state):
        raise InvalidState(
            _("This request is %(state)s and cannot become %(target)s.")
            % {"state": row.get_state_display(), "target": S(to_state).label},
            code="invalid_transition",
        )
    for field, value in changes.items():
        setattr(row, field, value)
    row.state = to_state
    row.state_changed_at = now
    if to_state not in WORKABLE or to_state == S.WAITING:
        row.lease_owner, row.lease_until = "", None
    row.save(update_fields=["state", "state_changed_at", "lease_owner", "lease_until", *changes])
    RequestTransition.objects.create(
        request=row, from_state=from_state, to_state=to_state, at=now, actor=actor, note=note
    )
    record(
        f"request.{row.kind}.{to_state}",
        actor=actor,
        obj=row,
        at=now,
        data={"from": from_state, "to": to_state, "note": note, **(data or {})},
    )
    _follow_up(row)
    if isinstance(request, Request) and request is not row:
        request.refresh_from_db()
    return row


def transition_many(
    rows: list[Request],
    to_state: str,
    *,
    actor: str,
    now: datetime,
    each: dict[int, dict[str, Any]] | None = None,
    data: dict[int, dict[str, Any]] | None = None,
    **changes: Any,
) -> None:
    """``transition`` for requests the caller locked in this transaction, all moving to
    ``to_state`` at ``now``: the same table, rows, history and audit events, in one UPDATE,
    one INSERT and one audit append. ``changes`` apply to every row, ``each[pk]`` to one."""
    if not rows:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition_many() must run inside the caller's transaction")
    for row in rows:
        if not allowed(row.kind, row.state, to_state):
            raise InvalidState(
                _("This request is %(state)s and cannot become %(target)s.")
                % {"state": row.get_state_display(), "target": S(to_state).label},
                code="invalid_transition",
            )
    each, data = each or {}, data or {}
    from_states = {row.pk: row.state for row in rows}
    if to_state not in WORKABLE or to_state == S.WAITING:
        changes = {**changes, "lease_owner": "", "lease_until": None}
    changes = {**changes, "state": to_state, "state_changed_at": now}
    for row in rows:
        for field, value in {**changes, **each.get(row.pk, {})}.items():
            setattr(row, field, value)
    if each:  # one UPDATE ... CASE for the rows' own values
        update_each(Request, {row.pk: each.get(row.pk, {}) for row in rows}, **changes)
    else:
        Request.objects.filter(pk__in=[row.pk for row in rows]).update(**changes)
    insert_rows(
        [
            RequestTransition(
                request=row, from_state=from_states[row.pk], to_state=to_state, at=now, actor=actor
            )
            for row in rows
        ]
    )
    with batched():
        for row in rows:
            record(
                f"request.{row.kind}.{to_state}",
                actor=actor,
                obj=row,
                at=now,
                data={
                    "from": from_states[row.pk],
                    "to": to_state,
                    "note": "",
                    **data.get(row.pk, {}),
                },
            )
    for row in rows:
        _follow_up(row)
