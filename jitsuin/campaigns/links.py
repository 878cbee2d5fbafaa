"""Links in a campaign's own texts may only lead to the portal.

A campaign e-mail goes from the official sender to every certificate holder, so a link in
the staff-written subject or body is a phishing link unless it points at the public URL's
host. Mail clients turn more than ``https://...`` into links: a bare ``evil.example/login``
or ``evil.example`` is clickable too, so both count. E-mail addresses are not links.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.notify.public_url import mail_url

# The fields a campaign's staff-written texts live in, with a name for error messages.
TEXT_FIELDS = ("subject_ja", "subject_en", "body_ja", "body_en")

# Anything with a scheme: https://..., ftp://..., even with a non-ASCII host.
_WITH_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"'`「」『』（）]*")
# Runs of printable ASCII: Japanese text around a bare domain separates it from its neighbours.
_ASCII_RUN = re.compile(r"[!-~]+")
_EDGE = "()[]{}<>\"'`.,;:!?"
_LABEL = re.compile(r"^(?:xn--)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_EMAIL = re.compile(r"^[^/@?#:]+@[^/@?#:]+$")


class ForeignLink(NotAllowed):
    code = "foreign_link"


def public_host() -> str:
    """The portal's host as e-mail links name it (the server's recorded public URL)."""
    return (urlsplit(mail_url()).hostname or "").lower()


def _host(candidate: str) -> str | None:
    try:
        return urlsplit(candidate).hostname
    except ValueError:
        return "?"


def _domain_like(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        named = len(labels) >= 2 and all(_LABEL.match(label) for label in labels)
        return named and bool(_TLD.match(labels[-1]))
    return True


def links_in(text: str) -> list[tuple[str, str]]:
    """Every link in ``text`` as (the link as written, its host), in order of appearance."""
    # Full-width letters and dots (ｅｖｉｌ．ｅｘａｍｐｌｅ) are links to mail clients too.
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[str, str]] = []
    spans = []
    for match in _WITH_SCHEME.finditer(text):
        link = match.group().rstrip(_EDGE)
        found.append((link, (_host(link) or "").lower().rstrip(".")))
        spans.append(match.span())
    for match in _ASCII_RUN.finditer(text):
        token = match.group().strip(_EDGE)
        inside = any(start <= match.start() < end for start, end in spans)
        if not token or inside or "://" in token or _EMAIL.match(token):
            continue
        host = _host(("http:" if token.startswith("//") else "http://") + token)
        if host and _domain_like(host.lower().rstrip(".")):
            found.append((token, host.lower().rstrip(".")))
    return found


def foreign_links(text: str, *, allowed: str | None = None) -> list[str]:
    """The links in ``text`` whose host is not the portal's."""
    allowed = (allowed or public_host()).rstrip(".")
    seen: list[str] = []
    for link, host in links_in(text):
        if host != allowed and link not in seen:
            seen.append(link)
    return seen


def check_text(text: str, *, allowed: str | None = None) -> None:
    """Refuse ``text`` if it links anywhere but the portal (ForeignLink names the link)."""
    bad = foreign_links(text, allowed=allowed)
    if bad:
        raise ForeignLink(
            _(
                "Campaign e-mails may only link to the portal (%(host)s); "
                "remove or correct this link: %(link)s"
            )
            % {"host": allowed or public_host(), "link": ", ".join(bad)}
        )


def check_texts(texts: dict[str, str]) -> None:
    """``check_text`` for each of a campaign's subjects and bodies (ja and en)."""
    for field in TEXT_FIELDS:
        check_text(texts.get(field) or "")
