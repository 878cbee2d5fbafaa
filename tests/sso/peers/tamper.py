"""A token-endpoint proxy in front of the real OP: forwards the code exchange and, when told
to, re-signs the real ID token with the OP's own key after changing its ``iss`` or ``aud``.

The signature is then valid for the OP's published key, so only jitsuin's claim checks can
refuse the token, which is what the tests want to see.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "pass": lambda claims: None,
    "wrong_iss": lambda claims: claims.update(iss="https://evil.example.org"),
    "wrong_aud": lambda claims: claims.update(aud="some-other-client"),
}


def resign(id_token: str, key: RSAPrivateKey, change: Callable[[dict[str, Any]], None]) -> str:
    """``id_token`` with ``change`` applied to its claims, signed again by ``key`` (same header)."""
    header = jwt.get_unverified_header(id_token)
    claims = jwt.decode(id_token, options={"verify_signature": False})
    change(claims)
    return jwt.encode(claims, key, algorithm=header["alg"], headers={"kid": header["kid"]})


class TamperProxy(ThreadingHTTPServer):
    """Serves POST /token; ``mode`` (a key of CHANGES) says what to do to the next ID tokens."""

    daemon_threads = True

    def __init__(self, upstream: str, key: RSAPrivateKey) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.key, self.mode = upstream, key, "pass"
        self.exchanges: list[str] = []  # the mode of each code exchange, for the record

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/token"


class _Handler(BaseHTTPRequestHandler):
    server: TamperProxy

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = urllib.request.Request(self.server.upstream, data=body, method="POST")
        for name in ("Content-Type", "Authorization"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, data = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            status, data = error.code, json.loads(error.read())
        mode = self.server.mode
        self.server.exchanges.append(mode)
        if mode != "pass" and "id_token" in data:
            data["id_token"] = resign(data["id_token"], self.server.key, CHANGES[mode])
        out = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def tamper_proxy(upstream: str, key: RSAPrivateKey) -> Iterator[TamperProxy]:
    """The proxy serving in a thread of this process until the block ends."""
    proxy = TamperProxy(upstream, key)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)
