"""People: GET /api/v1/people and /api/v1/people/{uid} (scope ``people:read``); create,
update, deactivate and reactivate (scope ``people:write``).

The writes call the same services as the CLI and the CSV import (``lifecycle.people``,
``lifecycle.leavers``), audited with ``token:<name>`` as the actor.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Body, Path, Query, Router, Status

from jitsuin.api.auth import ApiAccessError, BearerToken, token_actor
from jitsuin.api.bodies import DeactivateIn, PersonIn, PersonPatch
from jitsuin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from jitsuin.api.schemas import ErrorOut, PeoplePage, PersonOut, PersonStatusOut
from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person
from jitsuin.lifecycle.people import add_person, update_person

router = Router(tags=["people"])
READ = BearerToken("people:read")
WRITE = BearerToken("people:write")
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
NOT_FOUND = _("There is no person with this uid.")
ALREADY_EXISTS = _("A person with this uid exists already.")
UID = Path(..., max_length=150)


def _out(person: Person) -> PersonOut:
    return PersonOut.model_validate(person, from_attributes=True)


@router.get(
    "/people",
    auth=READ,
    response={200: PeoplePage, **REFUSALS},
    summary="List people (by cursor)",
)
def list_people(
    request: HttpRequest,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
    active: bool | None = Query(None, description="only people who have (not) left"),
) -> PeoplePage:
    """Everyone in the directory, oldest first; follow ``next`` for more."""
    rows = Person.objects.all()
    if active is not None:
        rows = rows.filter(active=active)
    found, after = page(
        request, rows, kind="people", limit=limit, cursor=cursor, query={"active": active}
    )
    return PeoplePage(items=[_out(p) for p in found], next=after)


@router.get(
    "/people/{uid}",
    auth=READ,
    response={200: PersonOut, 404: ErrorOut, **REFUSALS},
    summary="One person, by uid",
)
def show_person(request: HttpRequest, uid: str = UID) -> PersonOut:
    return _out(find_person(uid))


def find_person(uid: str) -> Person:
    """The person with ``uid``, else a 404 ``not_found``."""
    person = Person.objects.filter(uid=uid).first()
    if person is None:
        raise ApiAccessError(404, "not_found", NOT_FOUND)
    return person


@router.post(
    "/people",
    auth=WRITE,
    response={201: PersonOut, 409: ErrorOut, **REFUSALS},
    summary="Register a person",
)
def create_person(request: HttpRequest, body: PersonIn) -> Status[PersonOut]:
    """201 with the person; a uid that exists is a 409 ``already_exists`` (nothing changes)."""
    try:
        person = add_person(
            body.uid,
            email=body.email,
            actor=str(token_actor(request)),
            name_ja=body.name_ja,
            name_en=body.name_en,
            name_kana=body.name_kana,
            affiliation=body.affiliation,
            language=body.language,
        )
    except (NotAllowed, IntegrityError) as exc:  # IntegrityError: a concurrent create won
        if isinstance(exc, NotAllowed) and exc.code != "exists":
            raise
        raise ApiAccessError(409, "already_exists", ALREADY_EXISTS) from exc
    return Status(201, _out(person))


@router.patch(
    "/people/{uid}",
    auth=WRITE,
    response={200: PersonOut, 404: ErrorOut, **REFUSALS},
    summary="Change a person's e-mail address, names, affiliation or language",
)
def change_person(request: HttpRequest, body: PersonPatch, uid: str = UID) -> PersonOut:
    """Only the fields given and not empty change (a field cannot be emptied); the change is
    audited as ``person.updated``. The same values again change nothing."""
    person = find_person(uid)
    values = {name: value for name, value in body.model_dump().items() if value}
    update_person(person, actor=str(token_actor(request)), **values)
    person.refresh_from_db()
    return _out(person)


def _status(person: Person) -> PersonStatusOut:
    person.refresh_from_db()
    leaver = leavers.latest_leaver(person)
    return PersonStatusOut(
        uid=person.uid,
        active=person.active,
        leaver_state=leaver.state if leaver else None,  # type: ignore[arg-type]
        grace_ends_at=leaver.grace_ends_at if leaver else None,
    )


@router.post(
    "/people/{uid}/deactivate",
    auth=WRITE,
    response={200: PersonStatusOut, 404: ErrorOut, **REFUSALS},
    summary="A person left: inactive now, certificates revoked after the grace",
)
def deactivate_person(
    request: HttpRequest,
    uid: str = UID,
    body: DeactivateIn = Body(None),  # noqa: B008 (ninja; the body is optional)
) -> PersonStatusOut:
    """As ``jitsuin user deactivate``: the person is inactive at once and their certificates
    are revoked when JITSUIN_LEAVER_GRACE_DAYS have passed (at once for 0). Again for an
    inactive person changes nothing and answers the same."""
    person = find_person(uid)
    reason = body.reason if body is not None else ""
    leavers.deactivate(person, actor=str(token_actor(request)), reason=reason)
    return _status(person)


@router.post(
    "/people/{uid}/reactivate",
    auth=WRITE,
    response={200: PersonStatusOut, 404: ErrorOut, **REFUSALS},
    summary="A person is back: active again; within the grace nothing is revoked",
)
def reactivate_person(request: HttpRequest, uid: str = UID) -> PersonStatusOut:
    """As ``jitsuin user reactivate``: within the grace the pending revocation is cancelled
    (``leaver_state`` cancelled); after it the certificates stay revoked. Again for an
    active person changes nothing."""
    person = find_person(uid)
    leavers.reactivate(person, actor=str(token_actor(request)))
    return _status(person)
