"""The remote connector: orders certificates from a separate signing service (``jitsuin
signer serve``, docs/signer.md) over mutual TLS; this RA holds no CA key.

Each order carries an idempotency key that is a function of the request alone (this
instance's identity, the request's id and the kind), so a retry after a timeout or a crash
of either side gets the certificate already signed, never a second one. For a key made on
the RA's side the key is generated here (``jitsuin.pki.keys``) and only its public key is
sent; it is kept in the key store under that order until the signer has answered, so a retry
sends the same public key (same order content). Registered with
``JITSUIN_CONNECTORS=builtin=jitsuin.connectors.remote:RemoteConnector``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.keys import key_store
from jitsuin.config import ConfigError, JitsuinConfig, current
from jitsuin.config.remote import URL
from jitsuin.connectors.base import (
    ConnectorRejected,
    Issued,
    IssueOrder,
    Maintenance,
    Pending,
    Revoked,
    RevokeOrder,
)
from jitsuin.connectors.remote_chain import import_chain
from jitsuin.connectors.remote_client import SignerClient, client_context
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key


def instance_id() -> str:
    """This RA, stable across restarts and distinct from another RA database under the same
    secret key: its secret key and the first event of its audit chain (neither is sent)."""
    genesis = AuditEvent.objects.order_by("id").values_list("hash", flat=True).first() or ""
    seed = f"jitsuin signer orders:{settings.SECRET_KEY}:{genesis}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def order_key(kind: str, request_id: int) -> str:
    return f"{instance_id()}-request-{request_id}-{kind}"


class PendingKeys:
    """User keys made here for an order not answered yet: one per idempotency key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _ref_file(self, order: str) -> Path:
        return self.directory / f"{order}.ref"

    def get_or_make(self, order: str, spec: KeySpec) -> PrivateKey:
        path = self._ref_file(order)
        if path.exists():
            return key_store().get(path.read_text().strip())
        key = generate_private_key(spec)
        ref = key_store().put(key, f"pending-{order}")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(ref)
        return key

    def forget(self, order: str) -> None:
        path = self._ref_file(order)
        if path.exists():
            key_store().destroy(path.read_text().strip())
            path.unlink(missing_ok=True)


@cache
def _client(url: str, cert: Path | None, key: Path | None, ca_file: Path | None) -> SignerClient:
    """One client per signer and credentials in a process: its kept connections outlive the
    connector the pipeline builds for each step."""
    assert cert and key and ca_file
    return SignerClient(url, client_context(cert, key, ca_file))


def _pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class RemoteConnector:
    client: SignerClient
    pending_keys: PendingKeys
    name: str = "remote"

    @classmethod
    def from_config(cls, config: JitsuinConfig) -> RemoteConnector:
        remote = config.signer
        if not remote.enabled:
            raise ConfigError(f"{URL}: the remote connector needs the signer's URL")
        return cls(
            client=_client(remote.url, remote.client_cert, remote.client_key, remote.ca_file),
            pending_keys=PendingKeys(config.data_dir / "signer-pending"),
        )

    def submit_issue(self, order: IssueOrder, *, now: datetime) -> Issued | Pending:
        key_name = order_key("issue", order.request_id)
        body: dict[str, object] = {
            "idempotency_key": key_name,
            "profile": order.template,
            "subject": order.subject.rfc4514_string(),
            "email": order.email,
            "validity_seconds": int(order.validity.total_seconds()),
        }
        key: PrivateKey | None = None
        if order.csr_pem:
            body["csr"] = order.csr_pem
        else:
            try:
                key = self.pending_keys.get_or_make(key_name, KeySpec.parse(order.key_spec))
            except ValueError as exc:
                raise ConnectorRejected(f"remote signer: {exc}") from exc
            body["public_key"] = _pem(key)
        answer = self.client.call("POST", "/v1/issue", body)
        try:
            certificate = x509.load_pem_x509_certificate(str(answer["certificate"]).encode())
            chain_rows = import_chain(list(answer["chain"]), self.client)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConnectorRejected(
                f"signer {self.client.where}: a malformed answer ({exc})"
            ) from exc
        if key is not None and certificate.public_key() != key.public_key():
            raise ConnectorRejected(f"signer {self.client.where} certified another key")
        self.pending_keys.forget(key_name)
        return Issued(
            certificate=certificate,
            chain=[
                x509.load_der_x509_certificate(bytes(row.certificate_der)) for row in chain_rows
            ],
            private_key=key,
            authority=chain_rows[0],
        )

    def submit_revoke(self, order: RevokeOrder, *, now: datetime) -> Revoked | Pending:
        answer = self.client.call(
            "POST",
            "/v1/revoke",
            {
                "idempotency_key": order_key("revoke", order.request_id),
                "issuer_fingerprint": order.issuer_fingerprint,
                "serial": order.serial,
                "reason": order.reason,
            },
        )
        try:
            return Revoked(revoked_at=datetime.fromisoformat(str(answer["revoked_at"])))
        except (KeyError, ValueError) as exc:
            raise ConnectorRejected(
                f"signer {self.client.where}: a malformed answer ({exc})"
            ) from exc

    def poll(
        self, ref: str, order: IssueOrder | RevokeOrder, *, now: datetime
    ) -> Issued | Revoked | Pending:
        # Never answers Pending; an order asked again is the same order (idempotency key).
        if isinstance(order, IssueOrder):
            return self.submit_issue(order, now=now)
        return self.submit_revoke(order, now=now)

    def in_maintenance(self, now: datetime) -> Maintenance | None:
        return None


def signer_status() -> dict[str, object]:
    """The signer's ``/v1/status`` as this RA sees it (for `jitsuin signer status` on an RA)."""
    return RemoteConnector.from_config(current()).client.call("GET", "/v1/status")
