"""The simulator's two HTTPS listeners: the officer's (a client certificate required, and it
must be the registration officer's) and the public one (the one-time URLs, the CRL)."""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import socket
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jitsuin.upstream.simulator import config, holder, officer, pages
from jitsuin.upstream.simulator.authority import SLUG, Authority
from jitsuin.upstream.simulator.config import Settings
from jitsuin.upstream.simulator.officer import Request
from jitsuin.upstream.simulator.pages import Response
from jitsuin.upstream.simulator.processing import Worker
from jitsuin.upstream.simulator.store import Store

log = logging.getLogger("jitsuin.upstream.simulator")
HANDSHAKE_TIMEOUT = 10.0


@dataclass
class Simulator:
    directory: Path
    settings: Settings
    authority: Authority
    store: Store
    worker: Worker
    officer_der: bytes

    def answer(self, request: Request, *, officer_side: bool, peer: bytes | None) -> Response:
        if request.path in {"/crl", f"/crl/{SLUG}.crl"}:
            return Response(200, self.worker.current_crl(), "application/pkix-crl")
        if request.path == f"/ca/{SLUG}.crt":
            ca = self.authority.signer.certificate.public_bytes(Encoding.DER)
            return Response(200, ca, "application/pkix-cert")
        now = datetime.now(UTC)
        window = next((w for w in self.settings.maintenance if w.covers(now)), None)
        if window is not None:
            return pages.maintenance(window.end)
        key = (request.method, request.path)
        if officer_side:
            if peer != self.officer_der:
                return pages.message("エラー", "登録担当者の証明書ではありません。", status=403)
            route = officer.ROUTES.get(key)
            if route is not None:
                return route(self.store, self.settings, request)
        else:
            public = holder.ROUTES.get(key)
            if public is not None:
                return public(self.store, self.settings, request)
            issuing = holder.ISSUING.get(request.path) if request.method == "POST" else None
            if issuing is not None:
                return issuing(self.authority, self.store, self.settings, request)
        return pages.message("エラー", "ページが見つかりません。", status=404)


def _form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        assert isinstance(message, EmailMessage)
        form: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            if part.get_filename() is not None:
                files[name] = payload
            else:
                form[name] = payload.decode("euc_jp", errors="replace")
        return form, files
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return dict(pairs), {}


class Handler(BaseHTTPRequestHandler):
    server_version = "upki-sim"
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, simulator: Simulator, officer_side: bool, **kw: Any) -> None:
        self.simulator, self.officer_side = simulator, officer_side
        super().__init__(*args, **kw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        log.info("%s %s", self.address_string(), format % args)

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= officer.MAX_UPLOAD_BYTES:
            self._send(pages.message("エラー", "ファイルが大きすぎます。", status=413))
            return
        body = self.rfile.read(length) if length else b""
        form, files = _form(self.headers.get("Content-Type", ""), body)
        request = Request(method, parts.path, dict(parse_qsl(parts.query)), form, files)
        peer = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert(binary_form=True)
        try:
            answer = self.simulator.answer(request, officer_side=self.officer_side, peer=peer)
        except Exception:
            log.exception("the simulator failed on %s %s", method, parts.path)
            answer = pages.message("エラー", "システムエラーが発生しました。", status=500)
        self._send(answer)

    def _send(self, answer: Response) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("POST")


class TlsServer(ThreadingHTTPServer):
    """The TLS handshake runs in the request's thread: a client that stalls in it holds up
    no one else."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        assert isinstance(request, socket)
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("TLS handshake with %s refused: %s", client_address[0], exc)
            return
        super().finish_request(wrapped, client_address)


def contexts(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(officer's: CERT_REQUIRED against the simulator's CA; public: no client certificate)."""
    chain = (str(directory / config.SERVER_CERT_FILE), str(directory / config.SERVER_KEY_FILE))
    officer_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    officer_context.load_cert_chain(*chain)
    officer_context.verify_mode = ssl.CERT_REQUIRED
    officer_context.load_verify_locations(cafile=str(directory / config.CA_CERT_FILE))
    public_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    public_context.load_cert_chain(*chain)
    return officer_context, public_context


def officer_certificate(directory: Path) -> bytes:
    pem = (directory / config.OFFICER_CERT_FILE).read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


@dataclass
class Running:
    simulator: Simulator
    servers: list[TlsServer]
    threads: list[threading.Thread]

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.simulator.worker.stop()
        self.simulator.store.close()


def start(simulator: Simulator, officer_at: tuple[str, int], public_at: tuple[str, int]) -> Running:
    officer_context, public_context = contexts(simulator.directory)
    servers = [
        TlsServer(
            officer_at,
            partial(Handler, simulator=simulator, officer_side=True),
            officer_context,
        ),
        TlsServer(
            public_at, partial(Handler, simulator=simulator, officer_side=False), public_context
        ),
    ]
    simulator.worker.start()
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        for s in servers
    ]
    for thread in threads:
        thread.start()
    return Running(simulator, servers, threads)
