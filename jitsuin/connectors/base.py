"""The connector interface: where signing and revoking happen.

A connector answers a submission with a result, or with ``Pending`` (a reference to poll
later); it raises ``ConnectorError`` for a transient failure (retried with backoff) and
``ConnectorRejected`` for a permanent one (the request fails). Connectors know nothing
about requests or rows: they get plain orders and return plain results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography import x509

from jitsuin.pki.keys import PrivateKey


class ConnectorError(Exception):
    """Transient: the upstream is down, slow or in maintenance. Retry later."""


class LocalFault(ConnectorError):
    """This worker cannot do the work (its CA key will not open): a fault of the worker,
    not of the request. The request is released for another worker, never failed."""


class ConnectorRejected(ConnectorError):
    """Permanent: the upstream refuses this order; retrying will not help."""


@dataclass(frozen=True)
class IssueOrder:
    request_id: int
    subject: x509.Name
    email: str
    template: str
    validity: timedelta
    key_spec: str = "rsa2048"
    csr_pem: str = ""
    attempt: int = 1
    # The holder's name as the institution writes it (Japanese when known): the national
    # service prints it; a CA that signs here needs only ``subject``.
    holder_name: str = ""


@dataclass(frozen=True)
class RevokeOrder:
    request_id: int
    serial: int
    issuer_fingerprint: str
    reason: str
    attempt: int = 1


@dataclass(frozen=True)
class Issued:
    """The signed certificate, the key when generated server-side, and the CA chain
    (issuer first, root last)."""

    certificate: x509.Certificate
    chain: list[x509.Certificate]
    private_key: PrivateKey | None = None
    # The issuer's Authority row when the connector has just read it (the builtin one does):
    # saves the pipeline a lookup. Used only if its fingerprint is that of chain[0].
    authority: Any = None


@dataclass(frozen=True)
class Revoked:
    revoked_at: datetime


@dataclass(frozen=True)
class Pending:
    """Accepted upstream; ask again with ``ref`` at ``retry_at``."""

    ref: str
    retry_at: datetime
    detail: str = ""


@dataclass(frozen=True)
class Maintenance:
    until: datetime
    detail: dict[str, str] = field(default_factory=dict)


class Connector(Protocol):
    name: str

    def submit_issue(self, order: IssueOrder, *, now: datetime) -> Issued | Pending: ...

    def submit_revoke(self, order: RevokeOrder, *, now: datetime) -> Revoked | Pending: ...

    def poll(
        self, ref: str, order: IssueOrder | RevokeOrder, *, now: datetime
    ) -> Issued | Revoked | Pending: ...

    def in_maintenance(self, now: datetime) -> Maintenance | None: ...
