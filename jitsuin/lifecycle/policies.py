"""Rollover policies (DESIGN.md section 5): may this person get another certificate now?

One function decides for both the services (which refuse or accept a request) and the
portal's buttons (through ``permissions.actions_for``), so they never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.lifecycle.choices import OPEN_STATES
from jitsuin.lifecycle.models import (
    Certificate,
    Person,
    PolicyException,
    Profile,
    Request,
    RequestKind,
    RequestState,
    RolloverPolicy,
)


@dataclass(frozen=True)
class IssueDecision:
    """``allowed``: a request would be accepted; ``wait``: accepted but held until a
    revocation finishes (revoke-first); ``target``: the certificate it replaces."""

    allowed: bool
    policy: str
    reason: str | Promise = ""
    code: str = ""
    wait: bool = False
    target: Certificate | None = None
    open_request: Request | None = None
    valid: list[Certificate] = field(default_factory=list)


def _in_force(now: datetime) -> QuerySet[PolicyException]:
    """The exceptions not expired at ``now``."""
    return PolicyException.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _exceptions(person: Person, now: datetime) -> QuerySet[PolicyException]:
    return _in_force(now).filter(person=person)


def effective_policy(person: Person, profile: Profile, now: datetime) -> str:
    """The profile's rollover policy unless staff granted this person an exception."""
    exception = _exceptions(person, now).filter(profile=profile).order_by("pk").first()
    return exception.policy if exception else profile.rollover_policy


def with_effective_policy(
    profiles: QuerySet[Profile], person: Person, now: datetime
) -> QuerySet[Profile]:
    """``profiles`` with ``effective_policy(person, profile, now)`` as ``policy_for_person``
    (and whose: ``policy_person_id``), in their own query."""
    exception = _exceptions(person, now).filter(profile=OuterRef("pk")).order_by("pk")
    return profiles.annotate(
        policy_for_person=Coalesce(Subquery(exception.values("policy")[:1]), "rollover_policy"),
        policy_person_id=Value(person.pk, output_field=IntegerField()),
    )


UNSETTLED_STATES = (*OPEN_STATES, RequestState.READY)


def unsettled_requests(person: Person) -> list[Request]:
    """The person's open requests (of every kind and profile) and issue requests ready to
    download: few (one open issue per profile, one open revocation per certificate), and what
    the issue policy and a page of certificates ask about, in one query."""
    return list(
        Request.objects.filter(person=person, state__in=UNSETTLED_STATES).select_related("profile")
    )


def _working(certificates: QuerySet[Certificate], now: datetime) -> QuerySet[Certificate]:
    """The certificates that count against ``max_valid``, each marked ``revoking``."""
    return (
        # One under a revoked CA no longer counts: the way to a new one.
        certificates.working(now=now)
        .annotate(revoking=Exists(Request.objects.open_revocations().filter(target=OuterRef("pk"))))
        .order_by("not_after", "pk")
    )


@dataclass
class IssueFacts:
    """What ``evaluate_issue`` reads, for many people and profiles at once (a batch of
    requests): three queries however many they are. ``by_key``: the requests already made
    under the batch's idempotency keys (read with the unsettled requests, in one query)."""

    policies: dict[tuple[int, int], str]
    unsettled: dict[int, list[Request]]
    valid: dict[tuple[int, int], list[Certificate]]
    by_key: dict[str, Request] = field(default_factory=dict)

    def decide(self, person: Person, profile: Profile, now: datetime) -> IssueDecision:
        return evaluate_issue(
            person,
            profile,
            now,
            unsettled=self.unsettled.setdefault(person.pk, []),
            policy=self.policies.get((person.pk, profile.pk), profile.rollover_policy),
            valid=self.valid.get((person.pk, profile.pk), []),
        )


def with_issue_flags(
    people: QuerySet[Person], profiles: Collection[int], now: datetime
) -> QuerySet[Person]:
    """``people`` annotated with what spares ``issue_facts`` a read that would find nothing:
    whether each may have a policy exception in force, or any certificate, of ``profiles``
    (read in the same statement as the people, e.g. their lock)."""
    return people.annotate(
        may_have_exception=Exists(
            _in_force(now).filter(person=OuterRef("pk"), profile_id__in=profiles)
        ),
        may_have_certificate=Exists(
            Certificate.objects.filter(person=OuterRef("pk"), profile_id__in=profiles)
        ),
    )


def _flagged(pairs: list[tuple[Person, Profile]], flag: str) -> list[int]:
    """The people of ``pairs`` whose ``flag`` (``with_issue_flags``) is set or was not read."""
    return sorted({person.pk for person, _profile in pairs if getattr(person, flag, True)})


def issue_facts(
    pairs: list[tuple[Person, Profile]], now: datetime, keys: Collection[str] = ()
) -> IssueFacts:
    """The policy exceptions, unsettled requests and valid certificates of ``pairs``, and the
    requests made under ``keys`` (idempotency keys) whoever they are for. People read
    ``with_issue_flags`` are left out of the reads their flags say would find nothing."""
    people = sorted({person.pk for person, _profile in pairs})
    profiles = sorted({profile.pk for _person, profile in pairs})
    wanted = {(person.pk, profile.pk) for person, profile in pairs}
    policies: dict[tuple[int, int], str] = {}
    excepted = _flagged(pairs, "may_have_exception")
    exceptions = _in_force(now).filter(person_id__in=excepted, profile_id__in=profiles)
    for exception in exceptions.order_by("pk") if excepted else ():
        policies.setdefault((exception.person_id, exception.profile_id), exception.policy)
    unsettled: dict[int, list[Request]] = {}
    by_key: dict[str, Request] = {}
    wanted_people, unsettled_states, wanted_keys = set(people), set(UNSETTLED_STATES), set(keys)
    mine = Q(person_id__in=people, state__in=UNSETTLED_STATES)
    for request in Request.objects.filter(
        mine | Q(idempotency_key__in=sorted(wanted_keys)) if wanted_keys else mine
    ).select_related("profile"):
        if request.person_id in wanted_people and request.state in unsettled_states:
            unsettled.setdefault(request.person_id, []).append(request)
        if request.idempotency_key in wanted_keys:
            by_key[request.idempotency_key] = request
    valid: dict[tuple[int, int], list[Certificate]] = {}
    holders = _flagged(pairs, "may_have_certificate")
    found = Certificate.objects.filter(person_id__in=holders, profile_id__in=profiles)
    for certificate in _working(found, now) if holders else ():
        pair = (certificate.person_id, certificate.profile_id)
        if pair in wanted:
            valid.setdefault(pair, []).append(certificate)
    return IssueFacts(policies, unsettled, valid, by_key)


def evaluate_issue(
    person: Person,
    profile: Profile,
    now: datetime,
    *,
    unsettled: list[Request] | None = None,
    policy: str | None = None,
    valid: list[Certificate] | None = None,
) -> IssueDecision:
    """May ``person`` ask for a certificate of ``profile`` at ``now``, and under what terms.

    ``unsettled``: ``unsettled_requests(person)`` when the caller has it (a page), else it is
    looked up here; ``policy`` and ``valid``: what ``IssueFacts`` read for a batch of people
    (``issue_facts``), else looked up here."""
    if policy is None and getattr(profile, "policy_person_id", None) == person.pk:
        policy = profile.policy_for_person  # read with_effective_policy(...)
    elif policy is None:
        policy = effective_policy(person, profile, now)
    if not person.active:
        return IssueDecision(False, policy, _("This account is not active."), "inactive")
    if not profile.active:
        return IssueDecision(
            False, policy, _("This certificate type is no longer issued."), "profile_inactive"
        )
    # The open issue request (at most one: a unique constraint) and a ready pickup.
    issues = [
        r
        for r in (unsettled_requests(person) if unsettled is None else unsettled)
        if r.kind == RequestKind.ISSUE and r.profile_id == profile.pk
    ]
    pending = next((r for r in issues if r.state in OPEN_STATES), None)
    if pending is not None:
        return IssueDecision(
            False,
            policy,
            _("A request for this certificate is already in progress."),
            "request_open",
            open_request=pending,
        )
    if issues:
        return IssueDecision(
            False,
            policy,
            _("A new certificate is ready for you: download it before asking for another."),
            "pickup_waiting",
        )
    if valid is None:
        valid = list(_working(Certificate.objects.filter(person=person, profile=profile), now))
    revoking = {c.pk for c in valid if c.revoking}
    active = [c for c in valid if c.pk not in revoking]
    if len(valid) < profile.max_valid:
        return IssueDecision(True, policy, valid=valid)
    if policy == RolloverPolicy.OVERLAP:
        if any(c.superseded_by_id for c in active) or len(active) > profile.max_valid:
            return IssueDecision(
                False,
                policy,
                _(
                    "You are switching to a new certificate: confirm that the new one works "
                    "(or wait until the old one is revoked) before asking for another."
                ),
                "rollover_in_progress",
                valid=valid,
            )
        target = active[0] if active else valid[0]
        return IssueDecision(True, policy, target=target, valid=valid)
    if len(active) >= profile.max_valid:
        return IssueDecision(
            False,
            policy,
            _(
                "Request revocation of your current certificate first; "
                "then you can ask for a new one."
            ),
            "revoke_first",
            valid=valid,
        )
    target = next(c for c in valid if c.pk in revoking)
    if policy == RolloverPolicy.REVOKE_FIRST:
        return IssueDecision(True, policy, wait=True, target=target, valid=valid)
    return IssueDecision(True, policy, target=target, valid=valid)  # issue-while-revoking
