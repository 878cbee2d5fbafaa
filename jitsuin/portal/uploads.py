"""Request bodies are refused by size before anything reads them (413); NUL in input (400).

The certificate check takes files of at most 64 KiB; without a limit Django spooled a 200 MiB
upload to a temporary file before the form refused it. The declared Content-Length decides
first; Django never reads past it (a body without one, e.g. chunked, is read as empty), and an
upload handler stops a multipart body that grows past the limit all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from jitsuin.access.nul import contains_nul

# A 64 KiB certificate file, its multipart or base64-in-JSON wrapping, and the PIN.
CHECK_PATHS = ("/check/", "/api/v1/check")
CHECK_MAX_BODY = 128 * 1024
MAX_BODY = 2 * 1024 * 1024  # every other page: forms of a few KiB at most
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def body_limit(path: str) -> int:
    return CHECK_MAX_BODY if path in CHECK_PATHS else MAX_BODY


class CappedUploadHandler(FileUploadHandler):
    """First of the upload handlers: stops a multipart body that outgrows ``limit`` bytes."""

    def __init__(self, limit: int, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory) makes the file


def refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """A short translated refusal: JSON ``{code, message}`` under /api/, a SCIM Error message
    under /scim/ (RFC 7644 §3.12), a bare page elsewhere."""
    if request.path_info.startswith("/scim/"):
        error = {"schemas": [SCIM_ERROR], "status": str(status), "detail": message}
        body = json.dumps(error, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/scim+json")
    if request.path_info.startswith("/api/"):
        body = json.dumps({"code": code, "message": message}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json")
    html = format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title><p>{}</p></html>',
        request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "ja",
        status,
        message,
    )
    return HttpResponse(html, status=status)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("This upload is too large: at most %(size)s KiB are accepted here.") % {
        "size": limit // 1024
    }
    return refusal(request, 413, "too_large", message)


class RequestSizeLimitMiddleware:
    """After LocaleMiddleware (the answer is translated), before anything reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        limit = body_limit(request.path_info)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return too_large(request, limit)
        request.upload_handlers.insert(0, CappedUploadHandler(limit, request))
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def carries_nul(request: HttpRequest) -> bool:
    """A NUL character in the path, a query parameter or a form field (names and values).

    PostgreSQL refuses NUL in text (SQLite stores it): without this a lookup by such a value
    was a 500 on one database and a 404 on the other. Files are not looked at (binary).
    """
    fields = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        fields.append(request.POST)
    return contains_nul(request.path) or any(contains_nul(dict(query.lists())) for query in fields)


class NulCharacterMiddleware:
    """After the size limit (the body is bounded before it is parsed): 400 for NUL in input."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if carries_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            return refusal(request, 400, "nul_character", message)
        return self.get_response(request)
