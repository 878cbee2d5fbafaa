"""The signer's HTTPS service: TLS 1.3 only, mutual TLS with the standard library's ``ssl``.

A ``ThreadingHTTPServer``: a signer answers a few RAs (each with a handful of workers), so one
thread per connection is enough and keeps the service free of any web framework. The TLS
handshake runs in the connection's thread, not in the accepting one. Every request: the client
certificate's SHA-256 fingerprint must be a registered RA that is not removed; bodies are JSON
of at most ``MAX_BODY`` bytes, refused before parsing when larger.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connections
from django.utils import timezone

from jitsuin.signer import endpoints
from jitsuin.signer.admin_ca import paths
from jitsuin.signer.policy import Refused
from jitsuin.signer.registration import registered

logger = logging.getLogger("jitsuin.signer")

MAX_BODY = 64 * 1024
HANDSHAKE_TIMEOUT = 10.0


def server_context(certificate: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(client_ca))
    context.load_cert_chain(str(certificate), str(key))
    return context


def _crash_if_asked(marker: Path | None) -> None:
    """Tests only (``serve --test-crash-after-order PATH``, docs/signer.md): the first order
    carried out while ``marker`` does not exist creates it and kills this process (SIGKILL)
    after the order is written, before the answer leaves: a crash mid-issue."""
    if marker is not None and not marker.exists():
        marker.write_text("crashed after an order\n")
        os.kill(os.getpid(), signal.SIGKILL)


class SignerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], context: ssl.SSLContext, crash_file: Path | None = None
    ) -> None:
        self.context = context
        self.crash_file = crash_file
        super().__init__(address, Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            logger.info("TLS handshake with %s refused: %s", client_address[0], exc)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            connections.close_all()  # this thread's database connection ends with it


class Handler(BaseHTTPRequestHandler):
    server_version = "jitsuin-signer"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    body_pending = False  # a POST's body not read yet (``_body`` reads it)
    # A buffered writer: the status line, headers and body leave in one write, flushed when
    # the answer is complete (``handle_one_request``). Written in two (headers, then body),
    # the body waited behind Nagle's algorithm for the RA's delayed ACK of the headers: up to
    # 40 ms added to every order on a kept connection.
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.info("%s %s", self.address_string(), format % args)

    def _answer(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")  # the client opens a new one next time
        self.end_headers()
        self.wfile.write(data)

    def _content_length(self) -> int | None:
        """The request's Content-Length (0 when absent); None when it is not a size."""
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            return None
        return length if length >= 0 else None

    def _body(self) -> dict[str, Any]:
        length = self._content_length()
        if length is None:
            raise Refused("Content-Length is not a number", status=400)
        if length > MAX_BODY:  # left unread: the refusal closes the connection (_skip_body)
            raise Refused(f"the body is larger than {MAX_BODY} bytes", status=413)
        raw = self.rfile.read(length)
        self.body_pending = False
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused("the body is not JSON", status=400) from exc
        if not isinstance(body, dict):
            raise Refused("the body is not a JSON object", status=400)
        return body

    def _skip_body(self) -> None:
        """Read past the body of a request refused before it was read: left in the stream,
        it would be taken for the next request on this kept connection. A body whose size
        is unknown or over ``MAX_BODY`` ends the connection instead."""
        length = self._content_length()
        if length is not None and length <= MAX_BODY:
            self.rfile.read(length)
        else:
            self.close_connection = True

    def _handle(self, method: str) -> None:
        close_old_connections()
        der = self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
        self.body_pending = method == "POST"
        try:
            from hashlib import sha256

            ra = registered(sha256(der).hexdigest()) if der else None
            if ra is None:
                raise Refused("this client certificate is not a registered RA", status=403)
            body = self._body() if method == "POST" else {}
            now = timezone.now()
            status, answer, ordered = endpoints.dispatch(ra, method, self.path, body, now)
            if ordered:
                _crash_if_asked(self.server.crash_file)  # type: ignore[attr-defined]
            self._answer(status, answer)
        except Refused as refusal:
            if self.body_pending:
                self._skip_body()
            headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
            self._answer(refusal.status, {"error": str(refusal)}, headers)
        except Exception:
            logger.exception("signer: %s %s failed", method, self.path)
            self._answer(500, {"error": "internal error; see the signer's log"})
        finally:
            close_old_connections()

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")


def serve(host: str, port: int, *, ready: Any = None, crash_file: Path | None = None) -> None:
    """Serve until interrupted; ``ready(port)`` is called once listening."""
    where = paths()
    if not where.server_certificate.exists():
        raise Refused("no server certificate; run `jitsuin signer init --host NAME`")
    context = server_context(where.server_certificate, where.server_key, where.ca_certificate)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    SignerServer.address_family = family
    server = SignerServer((host, port), context, crash_file)
    if ready is not None:
        ready(server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
