"""SCIM Users <-> jitsuin people: each SCIM call is one function here, calling the lifecycle.

``userName`` is the uid, ``emails`` (the primary) the e-mail, ``displayName`` the Japanese
name, ``name.formatted`` the romanised name, ``externalId`` and the name parts live in
:class:`ScimLink`. ``active: false`` goes through :func:`leavers.deactivate` and ``true``
through :func:`leavers.reactivate`, as from the CLI or the CSV import; ``id`` is the person's
primary key. Every change is audited with the caller's actor (``token:<name>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from scim2_models import Email as BaseEmail
from scim2_models import (
    InvalidValueException,
    Meta,
    MutabilityException,
    NotFoundException,
    PatchOp,
    SearchRequest,
    UniquenessException,
)

from jitsuin.audit.services import record
from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person
from jitsuin.lifecycle.people import add_person, update_person
from jitsuin.scim.filters import PersonQuery, person_pk
from jitsuin.scim.models import ScimLink
from jitsuin.scim.schema import (
    DEFAULT_COUNT,
    MAX_RESULTS,
    POLICY,
    Email,
    Enterprise,
    Name,
    ScimUser,
)

DEACTIVATION_REASON = "SCIM"
DELETION_REASON = "SCIM DELETE"
# Column widths (Person, ScimLink): a longer value is a 400, not a database error.
MAX_START_INDEX = 2**31  # beyond any directory; keeps OFFSET within what databases take
LIMITS = {
    "userName": 150,
    "email": 254,
    "name": 200,
    "externalId": 255,
    "emails.type": 20,
    "department": 200,
}
# The optional directory fields a User may empty (update_person never clears one).
CLEARABLE = ("name_en", "name_ja", "affiliation")


@dataclass(frozen=True)
class Page:
    total: int
    start_index: int
    people: list[Person]


def visible() -> QuerySet[Person]:
    """Everyone SCIM shows: people not deleted through SCIM."""
    rows = Person.objects.filter(Q(scim_link__isnull=True) | Q(scim_link__deleted_at__isnull=True))
    return rows.select_related("scim_link")


def find(person_id: str) -> Person:
    pk = person_pk(person_id)
    person = visible().filter(pk=pk).first() if pk is not None else None
    if person is None:
        raise NotFoundException(detail=f"no User with id {person_id!r}")
    return person


def _link(person: Person) -> ScimLink | None:
    try:
        return person.scim_link
    except ScimLink.DoesNotExist:
        return None


def to_user(person: Person, location: str) -> ScimUser:
    """The SCIM User of ``person``; ``location`` is the URL of /Users (no slash at the end)."""
    link = _link(person)
    name = Name(
        formatted=person.name_en or None,
        given_name=(link.given_name if link else "") or None,
        family_name=(link.family_name if link else "") or None,
    )
    email_type = BaseEmail.Type(link.email_type) if link and link.email_type else None
    primary = link.email_primary if link else True
    user = ScimUser(
        id=str(person.pk),
        external_id=(link.external_id if link else "") or None,
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            # Never before ``created`` (the link row is written just before the person's).
            last_modified=max(link.updated_at, person.created_at) if link else person.created_at,
            location=f"{location}/{person.pk}",
        ),
        user_name=person.uid,
        name=name if name.model_dump(exclude_none=True) else None,
        display_name=person.name_ja or None,
        emails=[Email(value=person.email, type=email_type, primary=primary)]
        if person.email
        else None,
        active=person.active,
    )
    if person.affiliation:
        user[Enterprise] = Enterprise(department=person.affiliation)
    return user


def search(request: SearchRequest[ScimUser]) -> Page:
    """The page of people a search asks for (startIndex is 1-based, count at most 200)."""
    rows = visible()
    if request.filter is not None:
        rows = rows.filter(PersonQuery().visit(request.filter.ast))
    count = DEFAULT_COUNT if request.count is None else max(0, min(request.count, MAX_RESULTS))
    start = min(request.start_index or 1, MAX_START_INDEX)
    total = rows.count()
    found = list(rows.order_by("pk")[start - 1 : start - 1 + count]) if count else []
    return Page(total=total, start_index=start, people=found)


# -- writes ------------------------------------------------------------------------------


def _checked(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if len(value) > LIMITS[what]:
        raise InvalidValueException(detail=f"{what} has at most {LIMITS[what]} characters")
    return value


def _text(value: object) -> str:
    """An enumerated string (Email.Type) or None as plain text."""
    return "" if value is None else str(getattr(value, "value", value))


def _primary_email(user: ScimUser) -> Email | None:
    emails = user.emails or []
    return next((e for e in emails if e.primary), emails[0] if emails else None)


@dataclass(frozen=True)
class Wanted:
    """What a SCIM User asks of the person, checked against jitsuin's columns."""

    uid: str
    email: str
    email_type: str
    email_primary: bool | None
    name_en: str
    name_ja: str
    affiliation: str
    given_name: str
    family_name: str
    external_id: str
    active: bool | None

    @classmethod
    def of(cls, user: ScimUser, *, compose: bool = False) -> Wanted:
        """``compose``: a User without name.formatted gets "givenName familyName" (creation)."""
        email = _primary_email(user)
        enterprise = user[Enterprise]
        name = user.name or Name()
        given, family = _checked(name.given_name, "name"), _checked(name.family_name, "name")
        formatted = _checked(name.formatted, "name")
        if compose and not formatted:
            formatted = " ".join(part for part in (given, family) if part)
        return cls(
            uid=_checked(user.user_name, "userName"),
            email=_checked(str(email.value) if email and email.value else "", "email"),
            email_type=_checked(_text(email.type) if email else "", "emails.type"),
            email_primary=email.primary if email else None,
            name_en=_checked(formatted, "name"),
            name_ja=_checked(user.display_name, "name"),
            affiliation=_checked(enterprise.department if enterprise else "", "department"),
            given_name=given,
            family_name=family,
            external_id=_checked(user.external_id, "externalId"),
            active=user.active,
        )

    def link_fields(self) -> dict[str, str | bool | None]:
        return {
            "external_id": self.external_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email_type": self.email_type,
            "email_primary": self.email_primary,
        }


def _save_link(person: Person, wanted: Wanted, *, actor: str, now: datetime) -> None:
    link = ScimLink.objects.select_for_update().filter(person=person).first()
    fields = wanted.link_fields()
    if link is None:
        link = ScimLink(person=person, updated_at=now, **fields)
        changed = [name for name, value in fields.items() if value not in ("", None)]
    else:
        changed = [name for name, value in fields.items() if getattr(link, name) != value]
        for name in changed:
            setattr(link, name, fields[name])
    link.updated_at = now
    link.save()
    if changed:
        record(
            "scim.user_updated",
            actor=actor,
            obj=person,
            at=now,
            data={"uid": person.uid, **{name: fields[name] for name in changed}},
        )


def _clear(person: Person, names: list[str], *, actor: str, now: datetime) -> None:
    """Empty the optional names a replacement leaves out (update_person never clears)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    cleared = [name for name in names if getattr(person, name)]
    if not cleared:
        return
    for name in cleared:
        setattr(person, name, "")
    person.save(update_fields=cleared)
    record("person.updated", actor=actor, obj=person, at=now, data=dict.fromkeys(cleared, ""))


def _set_active(person: Person, active: bool | None, *, actor: str, reason: str) -> None:
    person.refresh_from_db(fields=["active"])
    if active is False and person.active:
        leavers.deactivate(person, actor=actor, reason=reason)
    elif active is True and not person.active:
        leavers.reactivate(person, actor=actor)


def create(user: ScimUser, *, actor: str) -> Person:
    """POST /Users: a new person (409 uniqueness when the userName is taken)."""
    wanted = Wanted.of(user, compose=True)
    if not wanted.uid:
        raise InvalidValueException(detail="userName is required")
    if not wanted.email:
        raise InvalidValueException(detail="jitsuin needs an e-mail address (emails)")
    now = timezone.now()
    taken = UniquenessException(detail=f"userName {wanted.uid!r} is taken")
    try:
        with transaction.atomic():
            if Person.objects.filter(uid__iexact=wanted.uid).exists():
                raise taken
            person = add_person(
                wanted.uid,
                email=wanted.email,
                actor=actor,
                name_en=wanted.name_en,
                name_ja=wanted.name_ja,
                affiliation=wanted.affiliation,
            )
            _save_link(person, wanted, actor=actor, now=now)
    except (NotAllowed, IntegrityError) as exc:  # the same userName sent twice at once
        raise taken from exc
    _set_active(person, wanted.active, actor=actor, reason=DEACTIVATION_REASON)
    return person


def _update(person: Person, wanted: Wanted, *, actor: str) -> None:
    if wanted.uid and wanted.uid.lower() != person.uid.lower():
        raise MutabilityException(
            detail="userName is immutable in jitsuin: a person is renamed by the helpdesk"
        )
    now = timezone.now()
    with transaction.atomic():
        fields = {
            "email": wanted.email,
            "name_en": wanted.name_en,
            "name_ja": wanted.name_ja,
            "affiliation": wanted.affiliation,
        }
        update_person(person, actor=actor, **fields)
        _clear(person, [n for n in CLEARABLE if not fields[n]], actor=actor, now=now)
        _save_link(person, wanted, actor=actor, now=now)
    _set_active(person, wanted.active, actor=actor, reason=DEACTIVATION_REASON)


def replace(person: Person, user: ScimUser, *, actor: str) -> None:
    """PUT /Users/{id}: the User as sent; left-out names are emptied, ``active`` left out
    changes nothing, the e-mail cannot be emptied (a person needs one)."""
    _update(person, Wanted.of(user), actor=actor)


def patch(person: Person, operations: PatchOp[ScimUser], *, actor: str, location: str) -> None:
    """PATCH /Users/{id}: the operations applied by scim2-models to the current User."""
    user = to_user(person, location)
    operations.patch(user, scim_policy=POLICY)
    if user.active is None:
        raise MutabilityException(
            detail="active cannot be removed: send active false to deactivate the person"
        )
    _update(person, Wanted.of(user), actor=actor)


def delete(person: Person, *, actor: str) -> None:
    """DELETE /Users/{id}: the leaver flow, and the person hidden from SCIM from now on.

    jitsuin keeps every person (their certificates and audit trail name them).
    """
    now = timezone.now()
    with transaction.atomic():
        link, _ = ScimLink.objects.select_for_update().get_or_create(
            person=person, defaults={"updated_at": now}
        )
        link.deleted_at = link.updated_at = now
        link.save(update_fields=["deleted_at", "updated_at"])
        record("scim.user_deleted", actor=actor, obj=person, at=now, data={"uid": person.uid})
    leavers.deactivate(person, actor=actor, reason=DELETION_REASON)
