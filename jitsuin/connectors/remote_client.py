"""The RA's HTTPS client of the signer: TLS 1.3, its client certificate, the signer's admin CA
as the only trust anchor. Failures are sorted for the pipeline: unreachable, slow, 5xx and 429
are transient (``ConnectorError``: the request waits); any other refusal is permanent
(``ConnectorRejected`` with the signer's message)."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jitsuin.connectors.base import ConnectorError, ConnectorRejected

TIMEOUT = 30.0
TRANSIENT = {408, 425, 429}


def client_context(certificate: Path, key: Path, ca_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_verify_locations(cafile=str(ca_file))
    context.load_cert_chain(str(certificate), str(key))
    return context


# A kept connection idle longer than this is not reused (the signer closes idle ones at 10 s).
IDLE_REUSE = 5.0


@dataclass
class SignerClient:
    """Keeps one connection per thread open between orders (HTTP/1.1 keep-alive: no TLS
    handshake per order). A kept connection that fails before an answer is tried once more
    on a fresh one: safe, every order carries its idempotency key."""

    url: str
    context: ssl.SSLContext = field(repr=False)
    timeout: float = TIMEOUT
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def where(self) -> str:
        return urlsplit(self.url).netloc

    def _connection(self) -> tuple[http.client.HTTPSConnection, bool]:
        kept = getattr(self._local, "connection", None)
        if kept is not None and time.monotonic() - self._local.used < IDLE_REUSE:
            return kept, True
        if kept is not None:
            kept.close()
        parts = urlsplit(self.url)
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port or 443, timeout=self.timeout, context=self.context
        )
        self._local.connection = connection
        return connection, False

    def _forget(self) -> None:
        kept = getattr(self._local, "connection", None)
        if kept is not None:
            kept.close()
        self._local.connection = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The signer's JSON answer to ``method path``."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        while True:
            connection, reused = self._connection()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._forget()
                if reused and not isinstance(exc, TimeoutError):
                    continue  # the signer had closed the kept connection: once more, fresh
                raise ConnectorError(f"upstream unavailable: signer {self.where}: {exc}") from exc
            if response.will_close:
                self._forget()
            else:
                self._local.used = time.monotonic()
            return judge(response.status, raw, response.getheader("Retry-After"), self.where)


def judge(status: int, raw: bytes, retry_after: str | None, where: str) -> dict[str, Any]:
    """The signer's answer, or the connector error its status means."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    message = str(answer.get("error") or "") if isinstance(answer, dict) else ""
    if status >= 500 or status in TRANSIENT:
        hint = f" (retry after {retry_after} s)" if retry_after else ""
        raise ConnectorError(
            f"upstream unavailable: signer {where} answered {status}{hint}: {message}"
        )
    if status != 200 or not isinstance(answer, dict):
        raise ConnectorRejected(f"signer {where} refused ({status}): {message}")
    return answer
