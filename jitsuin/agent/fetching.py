"""Conditional GETs (ETag / If-None-Match, Last-Modified / If-Modified-Since) with urllib, and
the report's POST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

MAX_BYTES = 64 * 1024 * 1024


class FetchFailed(Exception):
    """jitsuin could not be reached or did not answer 200/304; the message says which."""


@dataclass(frozen=True)
class Validators:
    """What a previous answer said about itself, sent back to get a 304."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Answer:
    body: bytes | None  # None: 304, the copy we hold is current
    validators: Validators


def get(url: str, known: Validators, *, timeout: float) -> Answer:
    """GET ``url``, conditionally when ``known`` has validators; never follows to non-http(s)."""
    if not url.startswith(("http://", "https://")):
        raise FetchFailed(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url)  # noqa: S310 (scheme checked above)
    if known.etag:
        request.add_header("If-None-Match", known.etag)
    if known.last_modified:
        request.add_header("If-Modified-Since", known.last_modified)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = bytes(response.read(MAX_BYTES + 1))
            headers = response.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Answer(None, known)
        raise FetchFailed(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchFailed(f"{url}: {reason}") from exc
    if len(body) > MAX_BYTES:
        raise FetchFailed(f"{url}: more than {MAX_BYTES} bytes")
    return Answer(body, Validators(headers.get("ETag", ""), headers.get("Last-Modified", "")))


def post_json(url: str, body: bytes, *, token: str, timeout: float) -> bytes:
    """POST a JSON body with a bearer token; the answer's body, or FetchFailed saying why."""
    if not url.startswith(("http://", "https://")):
        raise FetchFailed(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read(MAX_BYTES))
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace")
        raise FetchFailed(f"{url}: HTTP {exc.code} {_code_of(detail)}".rstrip()) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchFailed(f"{url}: {reason}") from exc


def _code_of(detail: str) -> str:
    """The ``code`` of jitsuin's JSON error answer, if it is one."""
    try:
        answer = json.loads(detail)
    except ValueError:
        return ""
    return str(answer.get("code", "")) if isinstance(answer, dict) else ""
