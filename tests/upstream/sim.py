"""A simulator on free local ports with tiny delays, an SMTP server that keeps the raw mails,
and a TLS client with (or without) the registration officer's certificate."""

from __future__ import annotations

import dataclasses
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from jitsuin.upstream.mails import Notice, parse_mail
from jitsuin.upstream.simulator import config
from jitsuin.upstream.simulator.config import Settings
from jitsuin.upstream.simulator.directory import init, open_simulator
from jitsuin.upstream.simulator.server import Running, start
from tests.notify.smtp import free_port

INSTITUTION = "試験大学"
OU = "情報環境機構"
PORTAL = "pki-portal@example.ac.jp"


@dataclass
class RawMails:
    received: list[bytes] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.unknown:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.received.append(envelope.original_content or envelope.content)
        return "250 OK"


class Mailbox:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = RawMails()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def notices(self) -> list[Notice]:
        parsed = [parse_mail(data) for data in self.handler.received]
        return [n for n in parsed if n is not None]

    def wait_for(self, count: int, timeout: float = 8.0) -> list[Notice]:
        deadline = time.monotonic() + timeout
        while len(self.handler.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.handler.received) >= count, self.notices()
        return self.notices()


def make(directory: Path, smtp_port: int, **changes: object) -> None:
    settings = Settings(
        institution=INSTITUTION,
        allowed_ous=(OU,),
        issue_delay=0.2,
        revoke_delay=0.2,
        smtp_port=smtp_port,
        smtp_retry_seconds=0.2,
        sender="ca-support@upki-sim.invalid",
    )
    init(directory, dataclasses.replace(settings, **changes))  # type: ignore[arg-type]


def change(directory: Path, **changes: object) -> None:
    config.save(directory, dataclasses.replace(config.load(directory), **changes))  # type: ignore[arg-type]


@dataclass
class Service:
    directory: Path
    running: Running
    officer_port: int
    public_port: int

    @property
    def officer_url(self) -> str:
        return f"https://127.0.0.1:{self.officer_port}"

    def stop(self) -> None:
        self.running.stop()


def serve(directory: Path) -> Service:
    return serve_on(directory, free_port(), free_port())


def serve_on(directory: Path, officer_port: int, public_port: int) -> Service:
    """The simulator on these ports (a restart keeps them: the mails' URLs name the port)."""
    simulator = open_simulator(directory, public_port)
    running = start(simulator, ("127.0.0.1", officer_port), ("127.0.0.1", public_port))
    return Service(directory, running, officer_port, public_port)


def context(directory: Path, *, officer: bool = True) -> ssl.SSLContext:
    tls = ssl.create_default_context(cafile=str(directory / config.CA_CERT_FILE))
    if officer:
        tls.load_cert_chain(
            str(directory / config.OFFICER_CERT_FILE), str(directory / config.OFFICER_KEY_FILE)
        )
    return tls


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def fetch(
    url: str,
    tls: ssl.SSLContext,
    *,
    form: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
) -> Answer:
    url = url.replace("localhost", "127.0.0.1")
    data, headers = None, {}
    if files is not None:
        boundary = "----upki-sim-test-boundary"
        parts = []
        for name, value in (form or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, content in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="apply.tsv"\r\nContent-Type: application/force-download\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, context=tls, timeout=10) as response:  # noqa: S310
            return Answer(response.status, response.read(), response.headers["Content-Type"])
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), error.headers["Content-Type"])
