"""Random sequences of clicks, helpdesk actions, worker steps and clock moves keep the
pipeline's invariants: one open request per person, certificates only from issued
requests, a history that matches the state, consistent revocations, nothing left after
a pickup is destroyed, and an audit chain that verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jitsuin.audit.services import verify
from jitsuin.lifecycle import housekeeping, pipeline, services
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import (
    OPEN_STATES,
    Certificate,
    CertificateStatus,
    MaintenanceWindow,
    Pickup,
    PickupState,
    Request,
    RequestKind,
    RequestState,
    RolloverPolicy,
)
from jitsuin.lifecycle.transitions import WORKABLE
from tests.chaos.connector import chaos
from tests.lifecycle.conftest import T0, key, make_person

# Weighted by repetition: issuing, working and collecting happen most.
WEIGHTED = (
    ["issue"] * 3
    + ["work"] * 4
    + ["collect"] * 2
    + ["revoke"] * 2
    + ["later"] * 3
    + ["housekeeping"] * 2
    + ["cancel", "retry", "work_failing", "work_failing", "confirm", "maintenance"]
)
ACTIONS = st.lists(
    st.tuples(st.sampled_from(WEIGHTED), st.integers(min_value=0, max_value=5)),
    min_size=10,
    max_size=30,
)
ISSUED = {RequestState.READY, RequestState.COLLECTED, RequestState.DONE, RequestState.EXPIRED}


class Rollback(Exception):
    pass


def pick(queryset, n):
    items = list(queryset.order_by("pk"))
    return items[n % len(items)] if items else None


def check_invariants(now):
    for request in Request.objects.all():
        last = request.transitions.order_by("at", "id").last()
        assert last is not None and last.to_state == request.state
        if request.kind == RequestKind.ISSUE:
            assert (request.certificate_id is not None) == (request.state in ISSUED)
        if request.kind == RequestKind.REVOKE and request.state == RequestState.DONE:
            assert request.target.status == CertificateStatus.REVOKED
    open_issue = Request.objects.filter(kind=RequestKind.ISSUE, state__in=OPEN_STATES)
    pairs = list(open_issue.values_list("person_id", "profile_id"))
    assert len(pairs) == len(set(pairs))
    assert Certificate.objects.count() == Request.objects.filter(certificate__isnull=False).count()
    for certificate in Certificate.objects.filter(status=CertificateStatus.REVOKED):
        assert certificate.revoked_at is not None and certificate.revocation_reason
    for pickup in Pickup.objects.filter(state=PickupState.DESTROYED):
        assert pickup.sealed_pkcs12_compatible is None and pickup.sealed_pin is None
    for request in Request.objects.filter(state=RequestState.PROCESSING, connector_ref=""):
        assert request.lease_owner  # processing without an upstream reference is leased


@pytest.mark.slow
@pytest.mark.parametrize("policy", list(RolloverPolicy.values))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_invariants_hold_under_random_use(ca_hierarchy, policy, actions):
    try:
        with transaction.atomic():
            profile = services.default_profile()
            profile.key_spec = "p256"  # fast keys: the sequences, not RSA, are under test
            profile.rollover_policy = policy
            profile.save()
            people = [make_person(f"prop{n}-{key()}") for n in range(2)]
            now = T0
            for action, n in actions:
                person = people[n % len(people)]
                try:
                    if action == "issue":
                        services.request_issue(person, actor="user", idempotency_key=key(), now=now)
                    elif action == "revoke":
                        valid = Certificate.objects.filter(status=CertificateStatus.VALID)
                        target = pick(valid, n)
                        if target is not None:
                            services.request_revoke(
                                target, actor="u", idempotency_key=key(), now=now
                            )
                    elif action == "cancel":
                        target = pick(Request.objects.filter(state__in=OPEN_STATES), n)
                        if target is not None:
                            services.cancel_request(target, actor="hd", reason="x", now=now)
                    elif action == "retry":
                        target = pick(Request.objects.filter(state=RequestState.FAILED), n)
                        if target is not None:
                            services.retry_request(target, actor="hd", reason="x", now=now)
                    elif action in ("work", "work_failing"):
                        fail = ("always", "reject")[n % 2] if action == "work_failing" else ""
                        with chaos(fail=fail):
                            for pk in Request.objects.filter(state__in=WORKABLE).values_list(
                                "pk", flat=True
                            ):
                                pipeline.advance(pk, worker_id=f"w{n}", now=now)
                    elif action == "collect":
                        target = pick(Pickup.objects.all(), n)
                        if target is not None:
                            services.collect_pickup(target, actor="u", now=now)
                    elif action == "confirm":
                        target = pick(Certificate.objects.filter(supersedes__isnull=False), n)
                        if target is not None:
                            services.confirm_new_certificate(target, actor="u", now=now)
                    elif action == "later":
                        now += timedelta(minutes=[1, 30, 60 * 24, 60 * 24 * 8, 60 * 24 * 15][n % 5])
                    elif action == "housekeeping":
                        housekeeping.expire_pickups(now)
                        housekeeping.revoke_superseded(now)
                        housekeeping.sweep(now)
                    elif action == "maintenance":
                        MaintenanceWindow.objects.create(
                            starts_at=now, ends_at=now + timedelta(hours=n + 1)
                        )
                except LifecycleError:
                    pass  # refusals are part of normal use
                check_invariants(now)
            assert verify() is None
            for state in Request.objects.values_list("state", flat=True).distinct():
                event(f"reached {state}")
            raise Rollback
    except Rollback:
        pass
