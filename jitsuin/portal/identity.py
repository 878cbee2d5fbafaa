"""Which Person the signed-in user is."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from jitsuin.audit.actors import Actor
from jitsuin.audit.services import actor_label, record
from jitsuin.lifecycle.models import Person


def person_for(user: AbstractBaseUser) -> Person | None:
    """The user's Person; on first sign-in through SSO, the directory entry with the same uid."""
    try:
        # Through the user, so the page's other readers (the campaign banner) find it there.
        return user.person  # type: ignore[attr-defined,no-any-return]
    except Person.DoesNotExist:
        pass
    with transaction.atomic():
        person = (
            Person.objects.select_for_update()
            .filter(uid=user.get_username(), user__isnull=True)
            .first()
        )
        if person is None:
            return None
        person.user = user
        person.save(update_fields=["user"])
        record("person.linked", actor=actor_label(user), obj=person, data={"uid": person.uid})
        return person


def actor_for(person: Person) -> str:
    return str(Actor.user(person.uid))
