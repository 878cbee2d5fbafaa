"""The builtin connector: signs with jitsuin's own issuing CA.

``JITSUIN_BUILTIN_DELAY`` emulates a slow upstream: a submission returns a reference that
becomes ready after the delay (nothing sleeps). It has no fault hooks: an upstream that
fails, refuses or hangs is another connector put in its place with ``JITSUIN_CONNECTORS``
(as the tests' chaos connector is).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509

from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import (
    AuthorityError,
    certificate_of,
    chain_of,
    issuing_authority,
    loaded_signer,
    public_urls,
)
from jitsuin.config import JitsuinConfig
from jitsuin.connectors.base import (
    ConnectorError,
    ConnectorRejected,
    Issued,
    IssueOrder,
    LocalFault,
    Maintenance,
    Pending,
    Revoked,
    RevokeOrder,
)
from jitsuin.connectors.keypool import pool
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.errors import PkiError
from jitsuin.pki.issuance import PublicUrls, Signer, issue_certificate, issue_from_csr
from jitsuin.pki.keys import KeySpec
from jitsuin.pki.keystore import KeyStoreError
from jitsuin.pki.profiles import end_entity_profile
from jitsuin.sealing import kek_source

_signers: dict[tuple[int, str, str], tuple[Signer, list[x509.Certificate]]] = {}
_signers_lock = threading.Lock()


def _signer_and_chain(authority: Authority) -> tuple[Signer, list[x509.Certificate]]:
    """The issuing CA's signer and chain, loaded once per process and key (keys never change
    under a key reference; a new issuing CA is a new entry)."""
    cache_key = (authority.pk, authority.key_ref, authority.fingerprint_sha256)
    with _signers_lock:
        cached = _signers.get(cache_key)
    if cached is None:
        cached = (loaded_signer(authority), [certificate_of(a) for a in chain_of(authority)])
        with _signers_lock:
            _signers[cache_key] = cached
    return cached


@dataclass
class BuiltinConnector:
    name: str = "builtin"
    delay: timedelta = timedelta(0)
    key_pool: int = 0
    # The issuing CA and its URLs, read once per connector: a worker's batch of orders uses
    # one connector, and so one read (a connector lives for one request or one batch).
    _issuing: tuple[Authority, PublicUrls] | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_config(cls, config: JitsuinConfig) -> BuiltinConnector:
        return cls(delay=config.builtin_delay, key_pool=config.connector.key_pool)

    def _pending(self, kind: str, request_id: int, now: datetime) -> Pending:
        ready_at = now + self.delay
        return Pending(ref=f"builtin:{kind}:{request_id}:{ready_at.isoformat()}", retry_at=ready_at)

    @staticmethod
    def _ready_at(ref: str) -> datetime:
        try:
            return datetime.fromisoformat(ref.split(":", 3)[3])
        except (IndexError, ValueError) as exc:
            raise ConnectorRejected(f"builtin CA: unknown reference {ref!r}") from exc

    def _issuing_authority(self) -> tuple[Authority, PublicUrls]:
        if self._issuing is None:
            self._issuing = (issuing_authority(), public_urls())
        return self._issuing

    def _sign(self, order: IssueOrder, now: datetime) -> Issued:
        try:
            authority, urls = self._issuing_authority()
            try:
                signer, chain = _signer_and_chain(authority)
            except KeyStoreError as exc:
                raise LocalFault(f"builtin CA: {exc} (check {kek_source()})") from exc
            profile = end_entity_profile(order.template, order.validity)
            clock = FixedClock(now)
            if order.csr_pem:
                key = None
                certificate = issue_from_csr(
                    order.csr_pem,
                    profile=profile,
                    subject=order.subject,
                    signer=signer,
                    clock=clock,
                    urls=urls,
                    email=order.email or None,
                )
            else:
                key = pool(self.key_pool).take(KeySpec.parse(order.key_spec))
                certificate = issue_certificate(
                    profile=profile,
                    subject=order.subject,
                    public_key=key.public_key(),
                    signer=signer,
                    clock=clock,
                    urls=urls,
                    email=order.email or None,
                )
        except (PkiError, ValueError) as exc:
            raise ConnectorRejected(f"builtin CA: {exc}") from exc
        except AuthorityError as exc:
            raise ConnectorError(f"builtin CA: {exc}") from exc
        return Issued(
            certificate=certificate, chain=list(chain), private_key=key, authority=authority
        )

    def submit_issue(self, order: IssueOrder, *, now: datetime) -> Issued | Pending:
        if self.delay > timedelta(0):
            return self._pending("issue", order.request_id, now)
        return self._sign(order, now)

    def submit_revoke(self, order: RevokeOrder, *, now: datetime) -> Revoked | Pending:
        if not Authority.objects.filter(fingerprint_sha256=order.issuer_fingerprint).exists():
            raise ConnectorRejected("builtin CA: the certificate was not issued by this CA")
        if self.delay > timedelta(0):
            return self._pending("revoke", order.request_id, now)
        # The builtin CA's revocation list is built from jitsuin's own rows: recording the
        # revocation (done by the pipeline) is the revocation.
        return Revoked(revoked_at=now)

    def poll(
        self, ref: str, order: IssueOrder | RevokeOrder, *, now: datetime
    ) -> Issued | Revoked | Pending:
        ready_at = self._ready_at(ref)
        if now < ready_at:
            return Pending(ref=ref, retry_at=ready_at)
        if isinstance(order, IssueOrder):
            return self._sign(order, now)
        return Revoked(revoked_at=now)

    def in_maintenance(self, now: datetime) -> Maintenance | None:
        # jitsuin's own CA has no upstream to announce maintenance; windows are rows.
        return None
