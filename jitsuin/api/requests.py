"""Requests: POST /api/v1/requests (scope ``requests:write``) queues an issue or a revoke
request; GET /api/v1/requests and /api/v1/requests/{id} (scope ``certificates:read``) follow
them.

Both kinds go through the services the portal, the console and ``jitsuin issue`` use
(``lifecycle.services.request_issue`` / ``request_revoke``), audited with ``token:<name>``.
Idempotency is the ``idempotency_key`` of the body, kept per token (:func:`request_key`), as
for POST /certificates/{serial}/revoke: the same key again answers the same request, never a
second certificate. Key material never leaves through the API: a server-made key waits for
its holder as a one-time download in the portal.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from jitsuin.api.auth import ApiAccessError, BearerToken, token_actor
from jitsuin.api.bodies import RequestIn
from jitsuin.api.certificates import find_certificate
from jitsuin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from jitsuin.api.people import find_person
from jitsuin.api.schemas import ErrorOut, RequestOut, RequestsPage
from jitsuin.audit.actors import Actor
from jitsuin.lifecycle.choices import RequestKind, RequestState
from jitsuin.lifecycle.models import Profile, Request
from jitsuin.lifecycle.services import request_issue, request_revoke

router = Router(tags=["requests"])
READ = BearerToken("certificates:read")
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1
KEY_LENGTH = 100  # Request.idempotency_key
RELATED = ("person", "profile", "target", "certificate", "pickup")


def request_key(actor: Actor, key: str) -> str:
    """The stored idempotency key of a caller's ``key``: ``api:<token>:<key>``, so that two
    tokens never collide; hashed when that is longer than the column (a long token name)."""
    stored = f"api:{actor.name}:{key}"
    if len(stored) <= KEY_LENGTH:
        return stored
    return "api-sha256:" + hashlib.sha256(stored.encode()).hexdigest()


def request_out(request: Request) -> RequestOut:
    revoke = request.kind == RequestKind.REVOKE
    shown = request.target if revoke else request.certificate
    replaced = None if revoke else request.target
    pickup = getattr(request, "pickup", None)  # an issue with a server-made key, once issued
    return RequestOut(
        id=request.pk,
        kind=request.kind,  # type: ignore[arg-type]
        state=request.state,
        uid=request.person.uid,
        profile=request.profile.slug,
        certificate_serial=shown.serial_number.db if shown is not None else "",
        replaces_serial=replaced.serial_number.db if replaced is not None else "",
        reason=request.reason,
        with_csr=bool(request.csr_pem),
        pickup_id=pickup.pk if pickup is not None else None,
        created_at=request.created_at,
        state_changed_at=request.state_changed_at,
    )


def _profile(slug: str | None) -> Profile | None:
    if not slug:
        return None
    profile = Profile.objects.filter(slug=slug).first()
    if profile is None:
        raise ApiAccessError(404, "not_found", _("There is no profile with this slug."))
    return profile


@router.post(
    "/requests",
    auth=BearerToken("requests:write"),
    response={202: RequestOut, 404: ErrorOut, 409: ErrorOut, **REFUSALS},
    summary="Ask for a certificate or a revocation (asynchronously, idempotent by key)",
)
def create_request(request: HttpRequest, body: RequestIn) -> Status[RequestOut]:
    """``kind`` issue: for ``uid``, of ``profile`` (default: the default profile), from
    ``csr`` (PEM) or with a key the server makes (the holder downloads it in the portal).
    ``kind`` revoke: the certificate ``serial`` (``issuer`` when two CAs used it), ``reason``.
    Answers 202 with the request; the worker carries it out. The same ``idempotency_key``
    again answers the same request; so does an issue request while one is open. 409 when the
    rollover policy refuses (``revoke_first``, ``pickup_waiting``, ``inactive``, ...)."""
    actor = token_actor(request)
    key = request_key(actor, body.idempotency_key)
    if body.kind == "issue":
        made = request_issue(
            find_person(body.uid or ""),
            actor=str(actor),
            idempotency_key=key,
            profile=_profile(body.profile),
            csr_pem=body.csr or "",
        )
    else:
        made = request_revoke(
            find_certificate(body.serial or "", body.issuer or None),
            actor=str(actor),
            idempotency_key=key,
            reason=body.reason,
        )
    if made.kind != body.kind:
        raise ApiAccessError(
            409,
            "idempotency_key_reused",
            _("This idempotency key was used for another kind of request."),
        )
    return Status(202, request_out(made))


@router.get(
    "/requests",
    auth=READ,
    response={200: RequestsPage, **REFUSALS},
    summary="List requests, with filters (by cursor)",
)
def list_requests(
    request: HttpRequest,
    uid: str | None = Query(None, max_length=150, description="the person"),
    state: RequestState | None = Query(None, description="queued, waiting, ready, done, ..."),  # noqa: B008 (ninja)
    kind: RequestKind | None = Query(None, description="issue or revoke"),  # noqa: B008 (ninja)
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> RequestsPage:
    """Oldest first, whoever made them (portal, console, CLI, API, campaigns, leavers)."""
    rows = Request.objects.select_related(*RELATED)
    if uid:
        rows = rows.filter(person__uid=uid)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    found, after = page(
        request,
        rows,
        kind="requests",
        limit=limit,
        cursor=cursor,
        query={"uid": uid, "state": state, "kind": kind},
    )
    return RequestsPage(items=[request_out(r) for r in found], next=after)


@router.get(
    "/requests/{request_id}",
    auth=READ,
    response={200: RequestOut, 404: ErrorOut, **REFUSALS},
    summary="One request, by id",
)
def show_request(request: HttpRequest, request_id: int) -> RequestOut:
    found = (
        Request.objects.select_related(*RELATED).filter(pk=request_id).first()
        if 0 < request_id <= MAX_ID
        else None
    )
    if found is None:
        raise ApiAccessError(404, "not_found", _("There is no request with this id."))
    return request_out(found)
