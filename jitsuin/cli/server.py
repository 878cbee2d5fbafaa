"""The embedded web server: stdlib WSGI, one thread per connection, TCP_NODELAY.

Good for the embedded default and a few hundred users; at scale run
``gunicorn jitsuin.wsgi`` (see docs/deployment.md).
"""

from __future__ import annotations

import logging
import socket
import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.db import connections

logger = logging.getLogger("jitsuin.server")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def get_environ(self) -> dict[str, Any]:
        # wsgiref maps "X_Forwarded_For" and "X-Forwarded-For" alike to HTTP_X_FORWARDED_FOR,
        # so a client could smuggle a forwarding header past a proxy; drop such names, as
        # nginx and gunicorn do.
        for name in {n for n in self.headers.keys() if "_" in n}:  # noqa: SIM118 (Message)
            del self.headers[name]
        return dict(super().get_environ())

    def setup(self) -> None:
        super().setup()
        # Without it Nagle's algorithm adds ~40 ms to every keep-alive answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog of 5 drops SYNs under a few dozen concurrent
    # clients (RADIUS servers asking OCSP): each drop costs the client a 1 s retransmit.
    request_queue_size = 1024

    def close_request(self, request: Any) -> None:
        # Each connection has its own thread and so its own (persistent, CONN_MAX_AGE)
        # database connections: close them with the thread, as Django's runserver does.
        connections.close_all()
        super().close_request(request)


class _IPv6Server(ThreadingWSGIServer):
    address_family = socket.AF_INET6


def build_server(host: str, port: int, app: Any) -> WSGIServer:
    server_class = _IPv6Server if ":" in host else ThreadingWSGIServer
    return make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
