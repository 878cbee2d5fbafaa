"""Small JSON documents from the OpenID Provider, with a timeout and a size cap."""

from __future__ import annotations

import json
from typing import Any

import requests
from django.conf import settings

# Discovery documents, key sets and userinfo answers are a few kB; a provider that sends
# megabytes is broken or hostile.
MAX_BYTES = 512 * 1024


class OpUnavailable(Exception):
    """The OpenID Provider did not answer usably (down, timed out, 5xx, not JSON, too big)."""


def timeout() -> float:
    return float(getattr(settings, "OIDC_TIMEOUT", None) or 10)


def read_capped(response: requests.Response, url: str) -> bytes:
    """The body of a streamed response, or ``OpUnavailable`` past ``MAX_BYTES``."""
    body = bytearray()
    try:
        for chunk in response.iter_content(chunk_size=16384):
            body += chunk
            if len(body) > MAX_BYTES:
                raise OpUnavailable(f"{url}: answer larger than {MAX_BYTES} bytes")
    except requests.RequestException as exc:
        raise OpUnavailable(f"{url}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        response.close()
    return bytes(body)


def request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """A streamed request to the provider (no redirects followed); ``OpUnavailable`` when it
    does not answer."""
    try:
        return requests.request(
            method,
            url,
            timeout=timeout(),
            stream=True,
            allow_redirects=False,
            verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            proxies=getattr(settings, "OIDC_PROXY", None),
            **kwargs,
        )
    except requests.RequestException as exc:
        raise OpUnavailable(f"{url}: {exc.__class__.__name__}: {exc}") from exc


def get_json(url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON object at ``url``; ``OpUnavailable`` for anything but a 200 with one."""
    response = request("GET", url, headers={"Accept": "application/json", **(headers or {})})
    body = read_capped(response, url)
    if response.status_code != 200:
        raise OpUnavailable(f"{url}: HTTP {response.status_code}")
    return parse_object(body, url)


def parse_object(body: bytes, url: str) -> dict[str, Any]:
    """``body`` as a JSON object, or ``OpUnavailable``."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise OpUnavailable(f"{url}: not JSON") from exc
    if not isinstance(document, dict):
        raise OpUnavailable(f"{url}: not a JSON object")
    return document
