"""``auth=BearerToken("people:read")``: django-ninja's bearer scheme over access.bearer.

Each endpoint names the one scope it needs; the checks (token, rate, scope) and their refusals
are :func:`jitsuin.access.bearer.check_bearer`'s, shared with SCIM. The token is then
``request.auth``; :func:`token_actor` names it in the audit log.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from jitsuin.access.bearer import (
    UNAUTHENTICATED_MESSAGE,
    ApiAccessError,
    check_bearer,
    token_actor,
)
from jitsuin.access.models import ApiToken

__all__ = ["UNAUTHENTICATED_MESSAGE", "ApiAccessError", "BearerToken", "token_actor"]


class BearerToken(HttpBearer):
    """An API token carrying ``scope``."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        return check_bearer(token, self.scope)
