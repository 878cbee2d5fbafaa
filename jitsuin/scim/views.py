"""/scim/v2: thin views over :mod:`jitsuin.scim.service` (RFC 7644).

Every call needs an API token with the scope ``scim`` (the API's own check: 401, 429, 403);
answers are ``application/scim+json``; refusals are SCIM Error messages (RFC 7644 §3.12).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    ForbiddenException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    PatchOp,
    ResponseParameters,
    SCIMException,
    SearchRequest,
)

from jitsuin.access.bearer import ApiAccessError, bearer_from_header, check_bearer, token_actor
from jitsuin.access.nul import contains_nul
from jitsuin.lifecycle.models import Person
from jitsuin.scim import schema, service
from jitsuin.scim.schema import POLICY, ScimUser

CONTENT_TYPE = "application/scim+json"
JSON_TYPES = ("application/scim+json", "application/json")
SCOPE = "scim"

View = Callable[..., HttpResponse]


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    content = json.dumps(body, ensure_ascii=False) if body is not None else ""
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE, headers=headers)


def error_answer(error: Error, headers: dict[str, str] | None = None) -> HttpResponse:
    return answer(error.model_dump(), status=int(error.status or 500), headers=headers)


def _access_error(exc: ApiAccessError) -> HttpResponse:
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="jitsuin"'
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_answer(Error(status=exc.status, detail=str(exc.message)), headers)


def scim_view(*methods: str) -> Callable[[View], View]:
    """Allow ``methods``, demand a ``scim`` token, turn SCIM and validation errors into
    SCIM Error answers."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                token = check_bearer(bearer_from_header(request), SCOPE)
            except ApiAccessError as exc:
                return _access_error(exc)
            request.auth = token  # type: ignore[attr-defined]
            if request.method not in methods:
                error = Error(status=405, detail=f"{request.method} is not allowed here")
                return error_answer(error, {"Allow": ", ".join(methods)})
            try:
                return view(request, *args, **kwargs)
            except SCIMException as exc:
                return error_answer(exc.to_error())
            except ValidationError as exc:
                return error_answer(Error.from_validation_errors(exc)[0])

        return wrapped

    return decorate


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:root")).rstrip("/")


def _actor(request: HttpRequest) -> str:
    return str(token_actor(request))


def _body(request: HttpRequest) -> Any:
    """The JSON body (RFC 7644 §3.8: application/scim+json, or JSON under another name)."""
    media = request.content_type or ""
    if media and media not in JSON_TYPES:
        raise InvalidSyntaxException(detail=f"send {CONTENT_TYPE}, not {media}")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSyntaxException(detail=f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="the body is not a JSON object")
    if contains_nul(data):
        raise InvalidValueException(detail="a NUL character is not accepted in any value")
    return data


def _parameters(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.GET[name] for name in names if name in request.GET}


def _response_parameters(request: HttpRequest) -> ResponseParameters[ScimUser]:
    query = _parameters(request, "attributes", "excludedAttributes")
    return ResponseParameters[ScimUser].model_validate(query)


def _user_answer(
    request: HttpRequest, person: Person, context: Context, status: int = 200
) -> HttpResponse:
    user = service.to_user(person, _base(request) + "/Users")
    body = user.model_dump(scim_ctx=context, response_parameters=_response_parameters(request))
    assert user.meta is not None and user.meta.location is not None
    return answer(body, status, {"Content-Location": user.meta.location})


def _list_answer(request: HttpRequest, search: SearchRequest[ScimUser]) -> HttpResponse:
    page = service.search(search)
    location = _base(request) + "/Users"
    resources = [
        service.to_user(person, location).model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search
        )
        for person in page.people
    ]
    listing = ListResponse[ScimUser](
        total_results=page.total,
        start_index=page.start_index,
        items_per_page=len(resources),
        resources=resources,
    )
    return answer(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


@scim_view("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = ScimUser.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY
        )
        person = service.create(user, actor=_actor(request))
        response = _user_answer(request, person, Context.RESOURCE_CREATION_RESPONSE, 201)
        response["Location"] = response["Content-Location"]
        return response
    query = _parameters(
        request, "filter", "startIndex", "count", "attributes", "excludedAttributes"
    )
    search = SearchRequest[ScimUser].model_validate(query, scim_ctx=Context.SEARCH_REQUEST)
    return _list_answer(request, search)


@scim_view("POST")
def users_search(request: HttpRequest) -> HttpResponse:
    search = SearchRequest[ScimUser].model_validate(_body(request), scim_ctx=Context.SEARCH_REQUEST)
    return _list_answer(request, search)


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, person_id: str) -> HttpResponse:
    person = service.find(person_id)
    actor = _actor(request)
    if request.method == "DELETE":
        service.delete(person, actor=actor)
        return answer(None, 204)
    if request.method == "PUT":
        replacement = ScimUser.model_validate(
            _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=POLICY
        )
        service.replace(person, replacement, actor=actor)
    elif request.method == "PATCH":
        operations = PatchOp[ScimUser].model_validate(
            _body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
        service.patch(person, operations, actor=actor, location=_base(request) + "/Users")
    if request.method == "GET":
        return _user_answer(request, person, Context.RESOURCE_QUERY_RESPONSE)
    return _user_answer(request, service.find(person_id), Context.RESOURCE_REPLACEMENT_RESPONSE)


def _no_filter(request: HttpRequest) -> None:
    # RFC 7644 §4: a filter on a discovery endpoint SHOULD be a 403.
    if "filter" in request.GET:
        raise ForbiddenException(detail="discovery endpoints take no filter")


def _located(document: Any, location: str) -> dict[str, Any]:
    kind = type(document).__name__
    dumped: dict[str, Any] = document.model_copy(
        update={"meta": Meta(resource_type=kind, location=location)}
    ).model_dump()
    return dumped


@scim_view("GET")
def service_provider_config(request: HttpRequest) -> HttpResponse:
    _no_filter(request)
    location = _base(request) + "/ServiceProviderConfig"
    return answer(_located(schema.service_provider_config(), location))


def _listing(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(documents),
        "startIndex": 1,
        "itemsPerPage": len(documents),
        "Resources": documents,
    }


def _discovery(request: HttpRequest, endpoint: str, documents: list[Any], key: str) -> Any:
    _no_filter(request)
    location = f"{_base(request)}/{endpoint}"
    located = [_located(d, f"{location}/{d.id}") for d in documents]
    if not key:
        return answer(_listing(located))
    for document in located:
        if document["id"] == key:
            return answer(document)
    raise NotFoundException(detail=f"no {endpoint} {key!r}")


@scim_view("GET")
def resource_types(request: HttpRequest, key: str = "") -> HttpResponse:
    return _discovery(request, "ResourceTypes", schema.resource_types(), key)


@scim_view("GET")
def schemas(request: HttpRequest, key: str = "") -> HttpResponse:
    return _discovery(request, "Schemas", schema.schemas(), key)


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise NotFoundException(detail="no such SCIM endpoint (see /ResourceTypes)")
