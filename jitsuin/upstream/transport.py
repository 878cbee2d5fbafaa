"""One HTTPS exchange with the service, its failures sorted into what a caller can act on.

Every body is read up to ``MAX_BODY_BYTES`` and no further: a bigger answer is not one of the
service's and is refused unread. Nothing here logs (one-time URLs carry secrets, ZIPs carry PINs).
"""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from http.cookiejar import CookieJar

from jitsuin.upstream.forms import ENCODING, Page, error_text, read_page

MAX_BODY_BYTES = 10 * 1024 * 1024  # the biggest answer is a bulk ZIP of a few KB


class UpstreamUnavailable(Exception):
    """Connection refused or reset, a timeout, a 5xx, or a page the client cannot read: try
    again later (and look at the message if it keeps happening)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UpstreamMaintenance(UpstreamUnavailable):
    """The maintenance page (HTTP 503 from the simulator; the real service's is not public)."""


class UpstreamRefused(Exception):
    """A one-time URL's 4xx answer: used, expired, invalid, or the PIN not taken yet. Trying
    again does not help; ``message`` is the page's error text as the page says it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Answer:
    url: str  # after any redirect
    status: int
    content_type: str  # the media type, lower case, without parameters
    charset: str
    body: bytes = field(repr=False)

    @property
    def is_html(self) -> bool:
        return self.content_type in {"text/html", "application/xhtml+xml"}

    def page(self) -> Page:
        return read_page(self.body, self.charset or ENCODING)


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect may not leave HTTPS (the client certificate and the tokens stay on TLS)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith("https://"):
            raise UpstreamUnavailable(f"the service redirected off HTTPS (HTTP {code})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


def session(context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    """An opener with its own cookie jar (the service's pages may keep a session), connecting
    directly: no proxy from the environment."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPSHandler(context=context),
        urllib.request.HTTPCookieProcessor(CookieJar()),
        _HttpsOnlyRedirects(),
    )


def _read(response: http.client.HTTPResponse | urllib.error.HTTPError) -> bytes:
    body = response.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise UpstreamUnavailable(f"an answer bigger than {MAX_BODY_BYTES} bytes is not read")
    return body


def exchange(
    opener: urllib.request.OpenerDirector,
    url: str,
    *,
    timeout: float,
    data: bytes | None = None,
    content_type: str = "",
) -> Answer:
    """GET (or POST ``data``) ``url``: the answer, whatever its status; transport failures
    raise ``UpstreamUnavailable``."""
    if not url.lower().startswith("https://"):
        raise ValueError(f"not an HTTPS URL: {url.split('?')[0]!r}")
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (https only)
    try:
        with opener.open(request, timeout=timeout) as response:
            return _answer(response.geturl(), response.status, response.headers, _read(response))
    except urllib.error.HTTPError as error:
        with error:
            return _answer(error.geturl() or url, error.code, error.headers, _read(error))
    except UpstreamUnavailable:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise UpstreamUnavailable(f"the service cannot be reached: {reason}") from exc


def _answer(url: str, status: int, headers: Message, body: bytes) -> Answer:
    media = (headers.get_content_type() or "").lower()
    charset = headers.get_content_charset() or ""
    if charset.lower().replace("_", "-") == "euc-jp":
        charset = ENCODING
    return Answer(url, status, media, charset, body)


def checked(answer: Answer, *, one_time: bool) -> Answer:
    """The answer if it is 2xx. A maintenance page raises ``UpstreamMaintenance``, a 5xx
    ``UpstreamUnavailable``; a 4xx raises ``UpstreamRefused`` from a one-time URL and
    ``UpstreamUnavailable`` from the officer's pages (the certificate or the flow is wrong)."""
    text = error_text(answer.page()) if answer.is_html else ""
    if answer.status == 503:
        raise UpstreamMaintenance(
            f"the service is under maintenance: {text}".rstrip(": "), status=answer.status
        )
    if answer.status >= 500:
        raise UpstreamUnavailable(f"HTTP {answer.status}: {text}", status=answer.status)
    if 400 <= answer.status < 500:
        if one_time:
            raise UpstreamRefused(answer.status, text)
        raise UpstreamUnavailable(f"HTTP {answer.status}: {text}", status=answer.status)
    if not 200 <= answer.status < 300:
        raise UpstreamUnavailable(f"unexpected HTTP {answer.status}", status=answer.status)
    return answer
