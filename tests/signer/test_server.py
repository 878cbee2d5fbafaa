"""The signer's HTTP handler on a plain socket pair: each answer leaves in one write.

Written in two (the headers, then the body), the body of an answer on a kept connection
waited behind Nagle's algorithm for the RA's delayed acknowledgement of the headers: about
30 ms added to every order (bench_signer: remote/in-process 0.44, 0.81-1.00 after)."""

from __future__ import annotations

import socket
import threading
from typing import Any

from jitsuin.signer.server import MAX_BODY, Handler


class _CountingSocket(socket.socket):
    """The server's end: counts the sends, and has no client certificate (no TLS)."""

    sends = 0

    def send(self, data: Any, *args: Any) -> int:
        type(self).sends += 1
        return super().send(data, *args)

    def sendall(self, data: Any, *args: Any) -> None:
        type(self).sends += 1
        super().sendall(data, *args)

    def getpeercert(self, binary_form: bool = False) -> None:
        return None


def _answer_over_a_socket_pair(request: bytes) -> tuple[bytes, int]:
    ours, theirs = socket.socketpair()
    server_end = _CountingSocket(fileno=theirs.detach())
    _CountingSocket.sends = 0

    def serve() -> None:
        with server_end:
            Handler(server_end, ("127.0.0.1", 0), server=None)  # type: ignore[arg-type]

    thread = threading.Thread(target=serve)
    thread.start()
    with ours:
        ours.sendall(request)
        ours.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := ours.recv(65536):
            received += chunk
    thread.join(timeout=10)
    return received, _CountingSocket.sends


def test_an_answer_leaves_in_one_write() -> None:
    body = b'{"idempotency_key": "k"}'
    request = (
        b"POST /v1/issue HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    received, sends = _answer_over_a_socket_pair(request)
    head, _, answer = received.partition(b"\r\n\r\n")
    # No client certificate: refused, with a JSON body of the length announced.
    assert head.startswith(b"HTTP/1.1 403 ")
    assert b"Content-Length: " + str(len(answer)).encode() in head
    assert b"not a registered RA" in answer
    assert sends == 1


def test_a_request_refused_before_its_body_was_read_leaves_the_connection_usable() -> None:
    """Its body is read past: left unread, it would be taken for the next request (and
    answered 400); the second request gets its own answer."""
    body = b'{"idempotency_key": "k"}'
    request = (
        b"POST /v1/issue HTTP/1.1\r\nHost: signer\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    received, sends = _answer_over_a_socket_pair(request + request)
    assert received.count(b"HTTP/1.1 403 ") == 2
    assert b" 400 " not in received
    assert sends == 2


def test_a_refused_request_whose_length_is_not_a_size_ends_the_connection() -> None:
    """A negative Content-Length is not a size (``read(-1)`` would read until the client
    closes): its body cannot be read past, so the answer closes the connection."""
    request = b"POST /v1/issue HTTP/1.1\r\nHost: signer\r\nContent-Length: -1\r\n\r\n{}"
    received, _ = _answer_over_a_socket_pair(request)
    assert received.startswith(b"HTTP/1.1 403 ")  # not a registered RA: refused first
    assert b"\r\nConnection: close\r\n" in received


def test_a_refused_request_larger_than_any_body_ends_the_connection() -> None:
    """Over ``MAX_BODY`` the body is not read past (nor read at all): the connection ends."""
    request = (
        b"POST /v1/issue HTTP/1.1\r\nHost: signer\r\nContent-Length: "
        + str(MAX_BODY + 1).encode()
        + b"\r\n\r\n{}"
    )
    received, _ = _answer_over_a_socket_pair(request)
    assert received.startswith(b"HTTP/1.1 403 ")
    assert b"\r\nConnection: close\r\n" in received
