"""A real SMTP server (aiosmtpd) on a free local port, which can be told to refuse mail."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RecordingHandler:
    """Accepts mail, or answers 451 to the next ``refuse`` DATA commands."""

    refuse: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None, refuse: int = 0) -> None:
        self.port = port or free_port()
        self.handler = RecordingHandler(refuse=refuse)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received
