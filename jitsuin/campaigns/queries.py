"""Set-based questions about a campaign: the blast radius, progress, stragglers.

Every count here is one aggregate query, never a loop over people: a campaign touches
100,000 certificates and the console asks these questions on every page view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jitsuin.authorities.models import Authority
from jitsuin.campaigns.models import RUNNING_STATES, Campaign, Member
from jitsuin.lifecycle.models import (
    Certificate,
    PolicyException,
    Request,
    RequestState,
    RolloverPolicy,
)
from jitsuin.lifecycle.queries import stuck_business_days

SEEN_RECENTLY = timedelta(days=30)

MIGRATED = "migrated"
IN_PROGRESS = "in_progress"
STUCK = "stuck"
NOT_STARTED = "not_started"
CATEGORIES = (MIGRATED, IN_PROGRESS, STUCK, NOT_STARTED)
CATEGORY_LABELS = {
    MIGRATED: gettext_lazy("Migrated"),
    IN_PROGRESS: gettext_lazy("In progress"),
    STUCK: gettext_lazy("Stuck"),
    NOT_STARTED: gettext_lazy("Not started"),
}

# Requests that show the person has started (ready: waiting for the download).
_STARTED = (
    RequestState.QUEUED,
    RequestState.PROCESSING,
    RequestState.READY,
    RequestState.COLLECTED,
    RequestState.DONE,
)


def affected_certificates(
    old_authorities: list[Authority] | QuerySet[Authority], now: datetime
) -> QuerySet[Certificate]:
    """Valid certificates issued by the intermediates that are going away."""
    return Certificate.objects.valid(now=now).filter(issuer__in=old_authorities)


@dataclass(frozen=True)
class ProfileLine:
    slug: str
    policy: str
    certificates: int
    people: int

    @property
    def policy_label(self) -> str:
        return (
            str(RolloverPolicy(self.policy).label)
            if self.policy in RolloverPolicy.values
            else self.policy
        )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str


@dataclass(frozen=True)
class Plan:
    """The dry run: what the campaign would touch and when."""

    at: datetime
    certificates: int
    people: int
    seen_certificates: int
    seen_people: int
    expire_before_deadline: int
    profiles: list[ProfileLine] = field(default_factory=list)
    exceptions: dict[str, int] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["timeline"] = [{"at": t.at.isoformat(), "what": t.what} for t in self.timeline]
        return data


def timeline(campaign: Campaign) -> list[TimelineEntry]:
    """What happens on which date, in the active language."""
    entries = [
        TimelineEntry(
            campaign.cutoff,
            _("The new intermediate becomes the issuing CA; everyone affected gets an e-mail."),
        ),
    ]
    for days in sorted(set(campaign.reminder_days), reverse=True):
        at = campaign.deadline - timedelta(days=days)
        if at > campaign.cutoff:
            entries.append(
                TimelineEntry(
                    at,
                    ngettext(
                        "Reminder to those not yet migrated (%(days)d day before the deadline).",
                        "Reminder to those not yet migrated (%(days)d days before the deadline).",
                        days,
                    )
                    % {"days": days},
                )
            )
    entries.append(
        TimelineEntry(
            campaign.deadline - campaign.summary_lead,
            _("Final summary and pre-flight checks for the CA administrator to confirm."),
        )
    )
    entries.append(
        TimelineEntry(
            campaign.deadline,
            _("The old intermediate is revoked (listed in the root CRL) once confirmed."),
        )
    )
    return sorted(entries, key=lambda e: e.at)


def plan(campaign: Campaign, *, now: datetime) -> Plan:
    """The blast radius at ``now``: a handful of aggregate queries, whatever the size."""
    old = list(campaign.old_authorities.all())
    affected = affected_certificates(old, now)
    seen_since = now - SEEN_RECENTLY
    totals = affected.aggregate(
        certificates=Count("id"),
        people=Count("person_id", distinct=True),
        seen_certificates=Count("id", filter=Q(last_seen_at__gte=seen_since)),
        seen_people=Count("person_id", distinct=True, filter=Q(last_seen_at__gte=seen_since)),
        expire_before_deadline=Count("id", filter=Q(not_after__lte=campaign.deadline)),
    )
    profiles = [
        ProfileLine(
            slug=row["profile__slug"],
            policy=row["profile__rollover_policy"],
            certificates=row["certificates"],
            people=row["people"],
        )
        for row in affected.values("profile__slug", "profile__rollover_policy")
        .annotate(certificates=Count("id"), people=Count("person_id", distinct=True))
        .order_by("profile__slug")
    ]
    exceptions = {
        row["policy"]: row["n"]
        for row in PolicyException.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            Exists(
                affected.filter(person_id=OuterRef("person_id"), profile_id=OuterRef("profile_id"))
            ),
        )
        .values("policy")
        .annotate(n=Count("id"))
        .order_by("policy")
    }
    return Plan(
        at=now,
        profiles=profiles,
        exceptions=exceptions,
        timeline=timeline(campaign),
        **totals,
    )


@dataclass(frozen=True)
class Conditions:
    """Membership tests against uncorrelated sets: the database hashes each set once."""

    migrated: Q
    stuck: Q
    started: Q

    def category(self, name: str) -> Q:
        return {
            MIGRATED: self.migrated,
            STUCK: ~self.migrated & self.stuck,
            IN_PROGRESS: ~self.migrated & ~self.stuck & self.started,
            NOT_STARTED: ~self.migrated & ~self.stuck & ~self.started,
        }[name]


def conditions(campaign: Campaign, *, now: datetime) -> Conditions:
    since = campaign.started_at or campaign.cutoff
    migrated = Certificate.objects.valid(now=now).filter(issuer_id=campaign.new_authority_id)
    campaign_requests = Request.objects.filter(created_at__gte=since)
    # Stuck: failed, or a pickup let expire, or open longer than the helpdesk's stuck queue allows.
    stuck = campaign_requests.filter(state__in=(RequestState.FAILED, RequestState.EXPIRED)) | (
        campaign_requests.stuck(now=now, business_days=stuck_business_days())
    )
    started = campaign_requests.filter(state__in=_STARTED)
    return Conditions(
        migrated=Q(person_id__in=migrated.values("person_id")),
        stuck=Q(person_id__in=stuck.values("person_id")),
        started=Q(person_id__in=started.values("person_id")),
    )


def annotated_members(campaign: Campaign, *, now: datetime) -> QuerySet[Member]:
    """Members with boolean columns ``is_migrated``, ``is_stuck``, ``has_started``."""
    c = conditions(campaign, now=now)
    return Member.objects.filter(campaign=campaign).annotate(
        is_migrated=ExpressionWrapper(c.migrated, output_field=BooleanField()),
        is_stuck=ExpressionWrapper(c.stuck, output_field=BooleanField()),
        has_started=ExpressionWrapper(c.started, output_field=BooleanField()),
    )


@dataclass(frozen=True)
class Progress:
    at: datetime
    total: int
    migrated: int
    in_progress: int
    stuck: int
    not_started: int
    old_in_use: int

    @property
    def not_migrated(self) -> int:
        return self.total - self.migrated

    def percent(self, category: str) -> float:
        return 100.0 * getattr(self, category) / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


def progress(campaign: Campaign, *, now: datetime) -> Progress:
    """Migrated / in progress / stuck / not started, in one aggregate query."""
    c = conditions(campaign, now=now)
    seen_old = (
        affected_certificates(campaign.old_authorities.all(), now)
        .filter(last_seen_at__gte=now - SEEN_RECENTLY)
        .values("person_id")
    )
    counts = Member.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        old_in_use=Count("id", filter=Q(person_id__in=seen_old) & ~c.migrated),
        **{name: Count("id", filter=c.category(name)) for name in CATEGORIES},
    )
    return Progress(at=now, **counts)


def retirement_deadlines(now: datetime) -> dict[int, datetime]:
    """{old authority id: deadline} of every running campaign (the earliest, if several).

    lifecycle.overlap revokes a superseded certificate under such an authority at the
    deadline at the latest; ``now`` is part of the deadline sources' interface.
    """
    deadlines: dict[int, datetime] = {}
    rows = Campaign.objects.filter(state__in=RUNNING_STATES).values_list(
        "old_authorities", "deadline"
    )
    for authority_id, deadline in rows:
        if authority_id is not None and (
            authority_id not in deadlines or deadline < deadlines[authority_id]
        ):
            deadlines[authority_id] = deadline
    return deadlines
