"""The service's one-time URLs are credentials: whoever follows one first gets the access PIN
or the file. Kept sealed under the instance's key (like the keys and PINs), compared by hash,
shown without their secret parts, and forgotten once followed."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from jitsuin.sealing import seal, unseal

_PURPOSE = "upki-url"
_ANY_URL = re.compile(r"(?P<keep>https?://[^\s?#\"'<>]*)[?#][^\s\"'<>]*", re.IGNORECASE)


def sealed(url: str, message_id: str) -> bytes:
    return seal(url.encode(), purpose=_PURPOSE, bound_to=message_id) if url else b""


def opened(sealed_url: bytes, message_id: str) -> str:
    return unseal(sealed_url, purpose=_PURPOSE, bound_to=message_id).decode() if sealed_url else ""


def fingerprint(url: str) -> str:
    """What a second mail with the same URL is recognised by."""
    return hashlib.sha256(url.encode()).hexdigest() if url else ""


def shown_url(url: str) -> str:
    """``url`` as a page may show it: scheme, host and path. The service's download links
    carry a one-time credential in the query (and could in a user part or fragment): never
    shown."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not a URL that can be taken apart: nothing of it is shown
        return "?"
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path


def without_secrets(text: str) -> str:
    """``text`` (an error, a note) with every URL's query and fragment cut off."""
    return _ANY_URL.sub(lambda m: m.group("keep"), text)
