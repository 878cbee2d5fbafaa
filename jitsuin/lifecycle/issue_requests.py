"""Asking for certificates: one click (``request_issue``) is a batch of one
(``request_issue_many``), as ``certificates.record_issued`` is ``record_issued_many`` of one.

A batch shares what its requests have in common, in one transaction: the people locked in one
statement, their idempotency keys and the rollover policy's facts read in a few queries
(``policies.issue_facts``), the requests, their history, their "request received" e-mails and
their tasks each inserted in one statement, one audit append. Every item keeps its own answer:
a refusal (the policy, an unusable CSR, a key used by someone else) is that item's, the others
go on. Exactly once as one by one: an idempotency key already used answers its request, also
within the batch and on a retry of the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import batched as audit_batched
from jitsuin.config import current
from jitsuin.jobs.enqueue import batched as tasks_batched
from jitsuin.lifecycle import transitions
from jitsuin.lifecycle.errors import LifecycleError, NotAllowed, NotFound
from jitsuin.lifecycle.maintenance import hold_new_request, windows_at
from jitsuin.lifecycle.models import (
    WAIT_POLICY,
    MaintenanceWindow,
    Person,
    Profile,
    Request,
    RequestKind,
    RequestState,
    RolloverPolicy,
)
from jitsuin.lifecycle.policies import IssueFacts, issue_facts, with_issue_flags
from jitsuin.pki.errors import PkiError
from jitsuin.pki.keys import check_public_key
from jitsuin.pki.loading import load_csr
from jitsuin.row_inserts import insert_rows
from jitsuin.upki.connector import refusal as upstream_refusal

# The most requests one call takes: what one transaction holds its people's locks for.
MAX_ISSUE_BATCH = 500


@dataclass(frozen=True)
class IssueItem:
    """One certificate asked for: whose, under which key, of which profile (None: the default
    one), from a CSR (PEM) or with a key the server makes (``csr_pem`` empty)."""

    person: Person
    idempotency_key: str
    profile: Profile | None = None
    csr_pem: str = ""


@dataclass(frozen=True)
class IssueOutcome:
    """An item's answer: its request (``created``: made by this call, else the one its key or
    an open request already named), or the refusal that stopped it."""

    request: Request | None = None
    created: bool = False
    error: LifecycleError | None = None


DEFAULT_PROFILE_SLUG = "client"


def default_profile() -> Profile:
    """The default profile (slug ``client``); made here too when a test flushed the table."""
    profile = Profile.objects.filter(is_default=True).first()
    if profile is not None:
        return profile
    profile, _created = Profile.objects.get_or_create(
        slug=DEFAULT_PROFILE_SLUG,
        defaults={
            "name_ja": "クライアント証明書",
            "name_en": "Client certificate",
            "template": "client-auth",
            "key_spec": "rsa2048",
            "validity_days": 730,
            "rollover_policy": RolloverPolicy.OVERLAP,
            "max_valid": 1,
            "pickup_window": timedelta(days=14),
            "is_default": True,
        },
    )
    return profile


def request_issue(
    person: Person,
    *,
    actor: str,
    idempotency_key: str,
    profile: Profile | None = None,
    csr_pem: str = "",
    now: datetime | None = None,
) -> Request:
    """Ask for a certificate. The same key, or an already open request, gives that request back.

    Raises :class:`NotAllowed` when the rollover policy, the limit of valid certificates or
    an unusable CSR forbids it. During a maintenance window the request waits.
    """
    item = IssueItem(person, idempotency_key, profile, csr_pem)
    (outcome,) = request_issue_many([item], actor=actor, now=now)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.request is not None
    return outcome.request


def request_issue_many(
    items: list[IssueItem], *, actor: str, now: datetime | None = None
) -> list[IssueOutcome]:
    """``request_issue`` for each of ``items``, in one transaction; their answers, in order.

    Raises ``ValueError`` (nothing done) for more than ``MAX_ISSUE_BATCH`` items or an empty
    idempotency key; every other refusal is the item's own ``IssueOutcome.error``."""
    if len(items) > MAX_ISSUE_BATCH:
        raise ValueError(f"at most {MAX_ISSUE_BATCH} requests at once")
    if any(not item.idempotency_key for item in items):
        raise ValueError("an idempotency key is required")
    now = now or timezone.now()
    outcomes: dict[int, IssueOutcome] = {}
    for index, item in enumerate(items):  # before any lock: the costly checks of one item
        error = _refusal_before(item)
        if error is not None:
            outcomes[index] = IssueOutcome(error=error)
    todo = [index for index in range(len(items)) if index not in outcomes]
    if todo:
        outcomes.update(_with_one_retry(items, todo, actor=actor, now=now))
    return [outcomes[index] for index in range(len(items))]


def _with_one_retry(
    items: list[IssueItem], todo: list[int], *, actor: str, now: datetime
) -> dict[int, IssueOutcome]:
    try:
        return _in_transaction(items, todo, actor=actor, now=now)
    except IntegrityError:
        pass
    # A concurrent caller used one of the keys for someone else between our read and our
    # insert (the people are locked, their keys are not): once more, reading it now.
    try:
        return _in_transaction(items, todo, actor=actor, now=now)
    except IntegrityError:
        conflict = NotAllowed(_("Please try again."), code="conflict")
        return {index: IssueOutcome(error=conflict) for index in todo}


def _refusal_before(item: IssueItem) -> NotAllowed | None:
    try:
        if item.csr_pem:
            _check_csr(item.csr_pem)
        if current().upki.enabled:
            _check_for_upstream(item.person)
    except NotAllowed as exc:
        return exc
    return None


def _check_csr(csr_pem: str) -> None:
    try:
        csr = load_csr(csr_pem)
        check_public_key(csr.public_key())
        if not csr.is_signature_valid:
            raise PkiError("the CSR's signature does not verify")
    except (PkiError, ValueError) as exc:
        raise NotAllowed(
            _("The certificate signing request cannot be used: %(error)s") % {"error": exc},
            code="invalid_csr",
        ) from exc


def _check_for_upstream(person: Person) -> None:
    """The national service takes Shift_JIS only: a name it cannot carry is refused now,
    with the character named, not days later at upload."""
    problem = upstream_refusal(person.name_ja, person.name_en, person.uid, person.email)
    if problem:
        raise NotAllowed(problem, code="not_shift_jis")


def _in_transaction(
    items: list[IssueItem], todo: list[int], *, actor: str, now: datetime
) -> dict[int, IssueOutcome]:
    default = None
    profiles: dict[int, Profile] = {}
    for index in todo:
        profile = items[index].profile
        if profile is None:
            default = default or default_profile()
            profile = default
        profiles[index] = profile
    outcomes: dict[int, IssueOutcome] = {}
    with transaction.atomic(), audit_batched(), tasks_batched():
        locked = with_issue_flags(
            Person.objects.select_for_update().filter(pk__in={items[i].person.pk for i in todo}),
            {profile.pk for profile in profiles.values()},
            now,
        ).annotate(in_maintenance=Exists(windows_at(RequestKind.ISSUE, now)))
        # One order for every caller: no deadlock between batches.
        people = {p.pk: p for p in locked.order_by("pk")}
        pairs = [
            (people[items[i].person.pk], profiles[i]) for i in todo if items[i].person.pk in people
        ]
        facts = issue_facts(pairs, now, keys={items[i].idempotency_key for i in todo})
        by_key = facts.by_key
        made: list[tuple[int, Request, str, bool]] = []  # index, row, policy note, waits
        for index in todo:
            person, profile = people.get(items[index].person.pk), profiles[index]
            if person is None:  # deleted since the caller read it
                outcomes[index] = IssueOutcome(
                    error=NotFound(_("There is no person with this uid."), code="not_found")
                )
                continue
            outcome, new = _decide(items[index], person, profile, by_key, facts, actor, now)
            if outcome is not None:
                outcomes[index] = outcome
            if new is not None:
                made.append((index, *new))
        rows = [row for _index, row, _note, _wait in made]
        insert_rows(rows)
        transitions.record_creation_many(
            rows, actor=actor, now=now, notes={row.pk: note for _i, row, note, _w in made}
        )
        windows: dict[str, MaintenanceWindow | None] = {}
        if not any(person.in_maintenance for person in people.values()):
            windows = {row.connector: None for row in rows}  # no window in force: none to read
        for index, row, _note, wait in made:
            held = _hold(row, wait, windows, actor=actor, now=now)
            outcomes[index] = IssueOutcome(held, created=True)
    return outcomes


def _decide(
    item: IssueItem,
    person: Person,
    profile: Profile,
    by_key: dict[str, Request],
    facts: IssueFacts,
    actor: str,
    now: datetime,
) -> tuple[IssueOutcome | None, tuple[Request, str, bool] | None]:
    """An item's answer from what is read (or made earlier in the batch), or its new row."""
    existing = by_key.get(item.idempotency_key)
    if existing is not None and existing.person_id != person.pk:
        refused = NotAllowed(_("This request key was already used."), code="idempotency_key_reused")
        return IssueOutcome(error=refused), None
    if existing is not None:
        return IssueOutcome(existing), None
    decision = facts.decide(person, profile, now)
    if decision.open_request is not None:
        return IssueOutcome(decision.open_request), None
    if not decision.allowed:
        return IssueOutcome(error=NotAllowed(decision.reason, code=decision.code)), None
    row = Request(
        kind=RequestKind.ISSUE,
        person=person,
        profile=profile,
        target=decision.target,
        state=RequestState.QUEUED,
        state_changed_at=now,
        created_at=now,
        requested_by=actor,
        pkcs12_compat=profile.pkcs12_default,
        csr_pem=item.csr_pem,
        idempotency_key=item.idempotency_key,
    )
    by_key[item.idempotency_key] = row  # the same key later in the batch: this request
    facts.unsettled[person.pk].append(row)  # and the same person and profile: it is open
    return None, (row, decision.policy, decision.wait)


def _hold(
    request: Request,
    wait: bool,
    windows: dict[str, MaintenanceWindow | None],
    *,
    actor: str,
    now: datetime,
) -> Request:
    """Revoke-first waits for the revocation; in a maintenance window, for its end
    (``windows``: the window in force per connector, read once per batch)."""
    if wait:
        return transitions.transition(
            request,
            RequestState.WAITING,
            actor=actor,
            now=now,
            note="waiting for the revocation of the current certificate",
            wait_reason=WAIT_POLICY,
            locked=True,
        )
    return hold_new_request(request, actor=actor, now=now, windows=windows)
