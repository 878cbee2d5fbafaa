"""People with real certificates made by the real pipeline, and signed-in clients."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jitsuin.lifecycle import pipeline
from jitsuin.lifecycle.models import Certificate, Person, Request
from jitsuin.lifecycle.services import collect_pickup, default_profile, request_issue
from jitsuin.lifecycle.transitions import WORKABLE
from tests.staff_fixtures import PASSWORD

_keys = itertools.count()


def run_worker(rounds: int = 10) -> None:
    """What the worker does: advance every workable request until nothing moves."""
    for _ in range(rounds):
        ids = list(Request.objects.filter(state__in=WORKABLE).values_list("pk", flat=True))
        if not ids:
            return
        for pk in ids:
            pipeline.advance(pk, worker_id="portal-test")


def make_user_person(uid: str) -> Person:
    user = get_user_model().objects.create_user(username=uid, password=PASSWORD)
    return Person.objects.create(
        user=user, uid=uid, email=f"{uid}@example.ac.jp", name_en=uid.title(), name_ja=uid
    )


def give_certificate(person: Person, *, collect: bool = True) -> Certificate:
    request = request_issue(
        person, actor=f"user:{person.uid}", idempotency_key=f"fixture-{next(_keys)}"
    )
    run_worker()
    request.refresh_from_db()
    assert request.certificate is not None, request.last_error
    if collect:
        collect_pickup(request.pickup, actor=f"user:{person.uid}")
    return request.certificate


@pytest.fixture
def profile(ca_hierarchy):  # type: ignore[no-untyped-def]
    return default_profile()


@pytest.fixture
def alice(profile) -> Person:  # type: ignore[no-untyped-def]
    return make_user_person("alice")


@pytest.fixture
def bob(profile) -> Person:  # type: ignore[no-untyped-def]
    return make_user_person("bob")


@pytest.fixture
def alice_cert(alice) -> Certificate:  # type: ignore[no-untyped-def]
    return give_certificate(alice)


@pytest.fixture
def client_for():  # type: ignore[no-untyped-def]
    def make(person: Person, *, language: str = "en", csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(person.user)
        return client

    return make
