"""GET /api/v1/people and /api/v1/people/{uid} (scope ``people:read``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from jitsuin.api.schemas import ErrorOut, PeoplePage, PersonOut
from jitsuin.lifecycle.models import Person

router = Router(tags=["people"])
READ = BearerToken("people:read")
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}


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
def show_person(request: HttpRequest, uid: str = Path(..., max_length=150)) -> PersonOut:
    person = Person.objects.filter(uid=uid).first()
    if person is None:
        raise ApiAccessError(404, "not_found", _("There is no person with this uid."))
    return _out(person)
