"""A stand-in for jitsuin's /ca and /crl (fixed bodies, ETags, 304s, a log of answers) and for
the report endpoint (POSTs kept, a chosen status)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Published:
    """What the server answers, path -> body (or an HTTP status), changeable between syncs."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes | int] = {}
        self.answers: list[tuple[str, int]] = []
        self.posts: list[tuple[str, dict[str, str], bytes]] = []  # path, headers, body
        self.post_status = 200


def _handler(published: Published) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = published.bodies.get(self.path, 404)
            if isinstance(body, int):
                status, etag = body, ""
            else:
                etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
                status = 304 if self.headers.get("If-None-Match") == etag else 200
            published.answers.append((self.path, status))
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            if status == 200 and not isinstance(body, int):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_header("Content-Length", "0")
                self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            published.posts.append((self.path, dict(self.headers.items()), body))
            answer = b'{"status": "current"}' if published.post_status == 200 else b'{"code": "x"}'
            if published.post_status == 401:
                answer = b'{"code": "invalid_token"}'
            self.send_response(published.post_status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


class FakeJitsuin:
    def __init__(self) -> None:
        self.published = Published()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.published))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
