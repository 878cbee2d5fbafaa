"""POST /api/v1/requests/batch (scope ``requests:write``): many issue requests in one call,
for an identity system that registers a class or a campaign's people at once.

The items go through ``lifecycle.services.request_issue_many``, the door ``request_issue``
itself is made of, so each item is what POST /requests would make of it alone (same policy,
same idempotency keys per token, same audit actor) and gets its own answer: a refusal is the
item's, the others are made. The batch shares the work (one transaction, a few statements
whatever its size: docs/performance.md).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from jitsuin.api.auth import BearerToken, token_actor
from jitsuin.api.bodies import IssueBatchIn, IssueItemIn
from jitsuin.api.errors import STATUS_OF_CODE
from jitsuin.api.people import NOT_FOUND as NO_PERSON
from jitsuin.api.requests import REFUSALS, RELATED, request_key, request_out
from jitsuin.api.schemas import ErrorOut, IssueBatchOut, IssueItemOut
from jitsuin.lifecycle.errors import LifecycleError
from jitsuin.lifecycle.models import Person, Profile, Request
from jitsuin.lifecycle.services import IssueItem, request_issue_many

router = Router(tags=["requests"])
NO_PROFILE = _("There is no profile with this slug.")
KIND_REUSED = _("This idempotency key was used for another kind of request.")


@router.post(
    "/requests/batch",
    auth=BearerToken("requests:write"),
    response={200: IssueBatchOut, **REFUSALS},
    summary="Ask for many certificates at once (each item idempotent by key)",
)
def create_issue_batch(request: HttpRequest, body: IssueBatchIn) -> IssueBatchOut:
    """Up to 100 issue requests, each as ``kind`` issue of POST /requests (``uid``, optional
    ``profile`` and ``csr``, ``idempotency_key``). Answers 200 with one result per item, in
    order: ``status`` 202 and the request, or the item's refusal (404 unknown uid or profile,
    409 the rollover policy or a reused key, 422 an unusable CSR). Sending the same batch
    again answers the same requests."""
    actor = token_actor(request)
    people = {p.uid: p for p in Person.objects.filter(uid__in={i.uid for i in body.items})}
    slugs = {i.profile for i in body.items if i.profile}
    profiles = {p.slug: p for p in Profile.objects.filter(slug__in=slugs)} if slugs else {}
    answers: list[IssueItemOut | None] = []
    asked: list[tuple[int, IssueItem]] = []
    for index, item in enumerate(body.items):
        refusal = _unknown(item, people, profiles)
        answers.append(refusal)
        if refusal is None:
            person, profile = people[item.uid], profiles.get(item.profile or "")
            key = request_key(actor, item.idempotency_key)
            asked.append((index, IssueItem(person, key, profile, item.csr or "")))
    outcomes = request_issue_many([i for _index, i in asked], actor=str(actor))
    made = [o.request.pk for o in outcomes if o.request is not None]
    rows = Request.objects.select_related(*RELATED).in_bulk(made)
    for (index, _item), outcome in zip(asked, outcomes, strict=True):
        key = body.items[index].idempotency_key
        if outcome.error is not None:
            answers[index] = _refused(key, outcome.error)
        elif outcome.request is not None and outcome.request.kind != "issue":
            answers[index] = _error(key, 409, "idempotency_key_reused", KIND_REUSED)
        elif outcome.request is not None:
            row = rows[outcome.request.pk]
            answers[index] = IssueItemOut(idempotency_key=key, status=202, request=request_out(row))
    return IssueBatchOut(items=[a for a in answers if a is not None])


def _unknown(
    item: IssueItemIn, people: dict[str, Person], profiles: dict[str, Profile]
) -> IssueItemOut | None:
    if item.uid not in people:
        return _error(item.idempotency_key, 404, "not_found", NO_PERSON)
    if item.profile and item.profile not in profiles:
        return _error(item.idempotency_key, 404, "not_found", NO_PROFILE)
    return None


def _refused(key: str, error: LifecycleError) -> IssueItemOut:
    status = STATUS_OF_CODE.get(error.code, error.http_status)
    return _error(key, status, error.code, error.message)


def _error(key: str, status: int, code: str, message: object) -> IssueItemOut:
    return IssueItemOut(
        idempotency_key=key, status=status, error=ErrorOut(code=code, message=str(message))
    )
