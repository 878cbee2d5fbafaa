"""The stuck queue's rows in one query: the request, its person, who handles it, its last
audited action and the last staff retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jitsuin.audit.models import AuditEvent
from jitsuin.console.models import StuckClaim
from jitsuin.lifecycle import interventions, transitions
from jitsuin.lifecycle.models import Request, RequestKind, RequestState, RequestTransition
from jitsuin.workdays import add_business_days, business_days_between

ACTION_LABELS: dict[str, Promise] = {
    "stuck.claimed": _("claimed"),
    "stuck.taken_over": _("took over"),
    "stuck.released": _("released"),
    "stuck.snoozed": _("snoozed"),
    "stuck.woken": _("snooze ended"),
    "repolled": _("asked the upstream again"),
    "submitted": _("sent to the upstream CA"),
    "created": _("requested"),
    "lease_taken_over": _("taken over by another worker"),
}


_STATES = frozenset(RequestState.values)


def action_label(action: str) -> Promise | str:
    """``stuck.claimed`` or ``request.issue.queued`` in words (a state by its label)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    last = action.rsplit(".", 1)[-1]
    if last in ACTION_LABELS:
        return ACTION_LABELS[last]
    if last in _STATES:
        return RequestState(last).label
    return action


def actor_name(actor: str) -> str | Promise:
    """``staff:hd1`` -> ``hd1``; the worker and the scheduler are "jitsuin"."""
    kind, _sep, name = actor.partition(":")
    if kind == "system":
        return _("jitsuin (automatic)")
    return name or kind


@dataclass
class StuckRow:
    """One request of the queue. What only a shown row needs (its age in business days, the
    actions it offers) is worked out when the page reads it, not for every row of the queue."""

    item: Request
    now: datetime
    claim: StuckClaim | None
    last_action: Promise | str
    last_actor: Promise | str
    last_at: datetime | None
    retried_by: Promise | str
    retried_at: datetime | None
    snoozed: bool
    # The row's URLs (``RowLinks``), set by the page that shows it.
    links: dict[str, str] = field(default_factory=dict)
    person_url: str = ""

    @property
    def key(self) -> str:
        """The request's id as the page writes it (in its ids and test ids): a string, so that
        the template does not format a number for each of them."""
        return str(self.item.pk)

    @cached_property
    def business_days(self) -> int:
        return business_days_between(self.item.created_at, self.now)

    @cached_property
    def can_retry(self) -> bool:
        return interventions.can_retry(self.item, self.now) or transitions.can(
            self.item, RequestState.QUEUED
        )

    @cached_property
    def can_cancel(self) -> bool:
        return transitions.can(self.item, RequestState.CANCELLED)

    @cached_property
    def can_repoll(self) -> bool:
        return interventions.at_upstream(self.item, self.now)

    @property
    def kind_label(self) -> str:
        """``get_kind_display()`` without its per-call dict of the choices."""
        return str(RequestKind(self.item.kind).label)

    @property
    def state_label(self) -> str:
        return str(RequestState(self.item.state).label)

    @property
    def name(self) -> str:
        """The person's name in the page's language."""
        return self.item.person.display_name(get_language() or "ja")

    @property
    def holder(self) -> str:
        return actor_name(self.claim.holder) if self.claim and self.claim.holder else ""  # type: ignore[return-value]


def _retries() -> QuerySet[RequestTransition]:
    """The request's staff retries, the latest first (a subquery on the queue's request)."""
    return (
        RequestTransition.objects.filter(request=OuterRef("pk"))
        .filter(interventions.RETRY_TRANSITIONS)
        .order_by("-at", "-id")
    )


def _moved_on(
    state: str, state_changed_at: datetime, retried_at: datetime | None, now: datetime, days: int
) -> bool:
    """After a staff retry the request leaves the queue once it moves on; it comes back if it
    fails again, or stays open another ``days`` business days after the retry.

    Tested here rather than in the query: there, each test of ``retried_at`` wrote its
    subquery out again (five times in all), a third of the page's time spent compiling SQL.
    """
    return (
        retried_at is not None
        and state_changed_at > retried_at
        and state != RequestState.FAILED
        and now < add_business_days(retried_at, days)
    )


@dataclass(frozen=True)
class QueueEntry:
    """A request of the queue as its counts and pages need it, and its last staff retry."""

    pk: int
    snoozed: bool
    retried_at: datetime | None
    retried_by: str | None


def stuck_entries(now: datetime, days: int) -> list[QueueEntry]:
    """Every stuck request, oldest first, snoozed ones included, as plain values (no model
    instances): what the queue's counts and pages need. ``stuck_rows`` reads a page's rows."""
    retries = _retries()
    found = (
        Request.objects.stuck(now=now, business_days=days)
        .annotate(
            retried_at=Subquery(retries.values("at")[:1]),
            retried_by=Subquery(retries.values("actor")[:1]),
        )
        .order_by("created_at", "id")
        .values_list(
            "pk",
            "state",
            "state_changed_at",
            "retried_at",
            "retried_by",
            "stuck_claim__snoozed_until",
        )
    )
    return [
        QueueEntry(pk, snoozed_until is not None and snoozed_until > now, retried_at, retried_by)
        for pk, state, changed, retried_at, retried_by, snoozed_until in found
        if not _moved_on(state, changed, retried_at, now, days)
    ]


def _claim_of(item: Request) -> StuckClaim | None:
    try:
        return item.stuck_claim  # type: ignore[attr-defined,no-any-return]
    except StuckClaim.DoesNotExist:
        return None


def stuck_rows(entries: list[QueueEntry], now: datetime) -> list[StuckRow]:
    """The rows a page shows of ``entries`` (``stuck_entries``), in their order: each request
    with its person, profile and claim and its last audited action, in one query."""
    if not entries:
        return []
    events = AuditEvent.objects.filter(
        object_type=Request._meta.label_lower,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
    ).order_by("-id")
    found = (
        Request.objects.filter(pk__in=[entry.pk for entry in entries])
        .select_related("person", "profile", "stuck_claim")
        .annotate(
            last_action=Subquery(events.values("action")[:1]),
            last_actor=Subquery(events.values("actor")[:1]),
            last_at=Subquery(events.values("at")[:1]),
        )
        .in_bulk()
    )
    rows = []
    for entry in entries:
        item = found.get(entry.pk)
        if item is None:  # gone since the entries were read (not possible today: never deleted)
            continue
        claim = _claim_of(item)
        rows.append(
            StuckRow(
                item=item,
                now=now,
                claim=claim,
                last_action=action_label(item.last_action or ""),  # type: ignore[attr-defined]
                last_actor=actor_name(item.last_actor or ""),  # type: ignore[attr-defined]
                last_at=item.last_at,  # type: ignore[attr-defined]
                retried_by=actor_name(entry.retried_by or ""),
                retried_at=entry.retried_at,
                snoozed=entry.snoozed,
            )
        )
    return rows
