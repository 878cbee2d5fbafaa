"""Cursor pagination: ``?limit=`` (1..200, default 50) and an opaque, signed ``cursor``.

A page is ordered by primary key; the cursor carries the last key seen, signed so that a
client cannot forge or edit one (a bad cursor is a 422 ``invalid_cursor``). A row added
while a client pages is seen once, in order; none is seen twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jitsuin.api.auth import ApiAccessError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "jitsuin.api.cursor"

M = TypeVar("M", bound=Model)


def _after(cursor: str, kind: str) -> int:
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise ApiAccessError(
            422, "invalid_cursor", _("This cursor is not one jitsuin gave out.")
        ) from exc
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("a"), int):
        raise ApiAccessError(422, "invalid_cursor", _("This cursor is not one jitsuin gave out."))
    return int(data["a"])


def page(
    request: HttpRequest,
    rows: QuerySet[M],
    *,
    kind: str,
    limit: int,
    cursor: str | None,
    query: Mapping[str, Any],
) -> tuple[list[M], str | None]:
    """One page of ``rows`` and the URL of the next (None on the last page).

    ``kind`` names the listing (a cursor of one listing is refused by another); ``query`` is
    the filters to carry into the next link.
    """
    if cursor:
        rows = rows.filter(pk__gt=_after(cursor, kind))
    found = list(rows.order_by("pk")[: limit + 1])
    if len(found) <= limit:
        return found, None
    found = found[:limit]
    token = signing.dumps({"k": kind, "a": found[-1].pk}, salt=_SALT, compress=True)
    params = {key: value for key, value in query.items() if value not in (None, "")}
    params.update(limit=limit, cursor=token)
    return found, f"{request.path}?{urlencode(params)}"
