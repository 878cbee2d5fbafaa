"""Rollover policies (DESIGN.md section 5): may this person get another certificate now?

One function decides for both the services (which refuse or accept a request) and the
portal's buttons (through ``permissions.actions_for``), so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jitsuin.lifecycle.models import (
    OPEN_STATES,
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


def effective_policy(person: Person, profile: Profile, now: datetime) -> str:
    """The profile's rollover policy unless staff granted this person an exception."""
    exception = (
        PolicyException.objects.filter(person=person, profile=profile)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    return exception.policy if exception else profile.rollover_policy


def revoking_ids(certificates: list[Certificate]) -> set[int]:
    """Which of ``certificates`` have a revocation requested and not yet done."""
    if not certificates:  # nothing to ask (and no query to build)
        return set()
    return set(
        Request.objects.open_revocations()
        .filter(target__in=certificates)
        .values_list("target_id", flat=True)
    )


def open_issue_request(person: Person, profile: Profile) -> Request | None:
    return Request.objects.open_issues().filter(person=person, profile=profile).first()


def evaluate_issue(person: Person, profile: Profile, now: datetime) -> IssueDecision:
    """May ``person`` ask for a certificate of ``profile`` at ``now``, and under what terms."""
    policy = effective_policy(person, profile, now)
    if not person.active:
        return IssueDecision(False, policy, _("This account is not active."), "inactive")
    if not profile.active:
        return IssueDecision(
            False, policy, _("This certificate type is no longer issued."), "profile_inactive"
        )
    # The open request (at most one: a unique constraint) and any download waiting, one read.
    unsettled = list(
        Request.objects.filter(
            person=person,
            profile=profile,
            kind=RequestKind.ISSUE,
            state__in=[*OPEN_STATES, RequestState.READY],
        )[:2]
    )
    pending = next((r for r in unsettled if r.state in OPEN_STATES), None)
    if pending is not None:
        return IssueDecision(
            False,
            policy,
            _("A request for this certificate is already in progress."),
            "request_open",
            open_request=pending,
        )
    if any(r.state == RequestState.READY for r in unsettled):
        return IssueDecision(
            False,
            policy,
            _("A new certificate is ready for you: download it before asking for another."),
            "pickup_waiting",
        )
    valid = list(
        Certificate.objects.filter(person=person, profile=profile)
        .working(now=now)  # one under a revoked CA no longer counts: the way to a new one
        .order_by("not_after", "pk")
    )
    revoking = revoking_ids(valid)
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
