"""Finding 10: behind a trusted proxy, `X_Forwarded_For` must not count as `X-Forwarded-For`.

wsgiref maps both spellings to HTTP_X_FORWARDED_FOR and joins them in arrival order, so a
client's `X_Forwarded_For: 10.1.2.3` after the proxy's own header decided the address. The
embedded server drops header names with underscores, as nginx and gunicorn do.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import threading
from collections.abc import Iterator

import pytest
from django.core.wsgi import get_wsgi_application

from jitsuin.access import middleware
from jitsuin.cli.server import build_server
from jitsuin.config import current

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def behind_a_trusted_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The review's run3: allowed 10.0.0.0/8, trusted proxy 127.0.0.1 (the test client)."""
    config = dataclasses.replace(
        current(),
        allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),),
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )
    monkeypatch.setattr(middleware, "current", lambda: config)
    server = build_server("127.0.0.1", 0, get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _status(port: int, headers: list[tuple[str, str]]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", "/account/login/")
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_an_underscore_forwarded_for_does_not_decide_the_address(behind_a_trusted_proxy):  # type: ignore[no-untyped-def]
    smuggled = [("X-Forwarded-For", "203.0.113.9"), ("X_Forwarded_For", "10.1.2.3")]
    assert _status(behind_a_trusted_proxy, smuggled) == 403


def test_the_proxy_header_alone_still_decides(behind_a_trusted_proxy):  # type: ignore[no-untyped-def]
    assert _status(behind_a_trusted_proxy, [("X-Forwarded-For", "203.0.113.9")]) == 403
    assert _status(behind_a_trusted_proxy, [("X-Forwarded-For", "10.1.2.3")]) == 200


def test_an_underscore_header_alone_is_ignored(behind_a_trusted_proxy):  # type: ignore[no-untyped-def]
    # Without the proxy's own header the peer (the proxy, 127.0.0.1) decides: outside 10/8.
    assert _status(behind_a_trusted_proxy, [("X_Forwarded_For", "10.1.2.3")]) == 403
