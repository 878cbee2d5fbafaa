"""Fixtures for the pipeline: people, named instants, and a way to run the worker's steps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Person, Profile, Request
from jitsuin.lifecycle.services import default_profile
from jitsuin.lifecycle.transitions import WORKABLE

# Named instants. The CA hierarchy is made at the real current time, so these are near it.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)

_keys = itertools.count()


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


def make_person(uid: str = "alice", **fields: object) -> Person:
    defaults = {"email": f"{uid}@example.ac.jp", "name_en": uid.title(), "name_ja": uid}
    defaults.update(fields)
    return Person.objects.create(uid=uid, **defaults)


def run_pipeline(now: datetime, *, worker_id: str = "test-worker", rounds: int = 10) -> list[str]:
    """Advance every workable request at ``now`` until nothing moves; the outcomes."""
    outcomes: list[str] = []
    for _ in range(rounds):
        ids = list(Request.objects.filter(state__in=WORKABLE).values_list("pk", flat=True))
        step = [pipeline.advance(pk, worker_id=worker_id, now=now) for pk in ids]
        outcomes += step
        if not any(o in {"issued", "revoked", "retry", "failed", "pending"} for o in step):
            break
    return outcomes


@pytest.fixture
def profile(ca_hierarchy) -> Profile:  # type: ignore[no-untyped-def]
    return default_profile()


@pytest.fixture
def alice(db) -> Person:  # type: ignore[no-untyped-def]
    return make_person("alice")


@pytest.fixture
def t0() -> datetime:
    return T0
