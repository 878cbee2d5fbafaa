"""Which Person the signed-in user is."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef

from jitsuin.access.roles import STAFF_ROLES, is_staff_member
from jitsuin.audit.actors import Actor
from jitsuin.audit.services import actor_label, record
from jitsuin.lifecycle.models import Person


def signed_in_person(user: AbstractBaseUser) -> tuple[Person | None, bool]:
    """The user's Person (None if not linked yet) and whether the user is staff
    (``roles.is_staff_member``), in one query: the person's with the user's staff roles.

    The person is kept as ``user.person`` for the page's other readers. Without a linked
    person, the roles are read as ``is_staff_member`` reads them."""
    staff_role = Exists(
        get_user_model().groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name__in=STAFF_ROLES
        )
    )
    person = Person.objects.filter(user_id=user.pk).annotate(staff_role=staff_role).first()
    if person is None:
        return None, is_staff_member(user)
    user.person = person  # type: ignore[attr-defined]
    staff = person.staff_role or getattr(user, "is_staff", False)  # type: ignore[attr-defined]
    return person, bool(staff or getattr(user, "is_superuser", False))


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
