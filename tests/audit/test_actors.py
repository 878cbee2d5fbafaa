"""The actor value type: one constructor per kind, the stored strings, and reading them back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from jitsuin.audit.actors import Actor
from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import actor_label, record

STORED = [
    (Actor.user("alice"), "user:alice"),
    (Actor.staff("bob"), "staff:bob"),
    (Actor.cli(), "cli"),
    (Actor.cli("root"), "cli:root"),
    (Actor.system(), "system"),
    (Actor.system("worker"), "system:worker"),
    (Actor.system("overlap"), "system:overlap"),
    (Actor.campaign("g1-to-g2"), "campaign:g1-to-g2"),
    (Actor.token("radius-1"), "token:radius-1"),
]


@pytest.mark.parametrize(("actor", "text"), STORED, ids=[t for _a, t in STORED])
def test_each_actor_is_stored_as_today_and_read_back(actor, text):
    assert str(actor) == text
    assert Actor.parse(text) == actor


@pytest.mark.parametrize("text", ["", "nobody:x", "user", "staff:", "campaign", "token"])
def test_strings_no_constructor_makes_are_refused(text):
    with pytest.raises(ValueError):
        Actor.parse(text)


def test_actors_are_values():
    assert Actor.staff("bob") == Actor.parse("staff:bob")
    assert len({Actor.staff("bob"), Actor.staff("bob"), Actor.user("bob")}) == 2
    with pytest.raises(AttributeError):
        Actor.staff("bob").name = "eve"  # type: ignore[misc]


@pytest.mark.django_db
def test_record_takes_an_actor_or_its_stored_string():
    with transaction.atomic():
        record("test.actor", actor=Actor.staff("bob"))
        record("test.actor", actor="staff:bob")
    assert list(AuditEvent.objects.values_list("actor", flat=True)) == ["staff:bob"] * 2


@pytest.mark.django_db
def test_actor_label_names_a_signed_in_user_or_the_system():
    assert actor_label(User(username="alice")) == "user:alice"
    assert actor_label(AnonymousUser()) == "system" == actor_label(None)
