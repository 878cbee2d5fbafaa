"""The ``upki`` connector: requests answered by the national certificate service.

A submission writes the request's line and answers ``Pending``; the worker's job
``upki.exchange`` (jobs.py) sends the lines in batches, reads the mails and the status list,
and collects the files; each poll reads the line. Registered as the builtin connector with
``JITSUIN_CONNECTORS=builtin=jitsuin.upki.connector:UpkiConnector`` (docs/upstream.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.authorities.models import UPSTREAM_SCHEME, Authority, AuthorityStatus, Role
from jitsuin.authorities.services import authority_row, unique_slug
from jitsuin.config import ConfigError, JitsuinConfig, current
from jitsuin.config.upki import URL
from jitsuin.connectors.base import (
    ConnectorRejected,
    Issued,
    IssueOrder,
    Maintenance,
    Pending,
    Revoked,
    RevokeOrder,
)
from jitsuin.pki.loading import fingerprint_sha256
from jitsuin.pki.pkcs12 import WrongPin, load_pkcs12
from jitsuin.upki import lines
from jitsuin.upki.codes import explained
from jitsuin.upki.models import ApplyType, Batch, BatchState, Line, LineState

KEY_REF = f"{UPSTREAM_SCHEME}upki"
# How long a maintenance answer keeps requests waiting before the next try.
MAINTENANCE_HOLD = timedelta(minutes=10)


def refusal(*texts: str) -> str | None:
    """Why these details cannot go to the national service (cp932 only), in the user's
    language; asked when the request is made."""
    problem = lines.cp932_refusal(*texts)
    if problem is None:
        return None
    bad = next(c for c in "".join(texts) if lines.cp932_refusal(c))
    return _(
        "Your name or address contains the character “%(char)s” (U+%(code)04X), which the "
        "national certificate service cannot accept (it takes Shift_JIS only). Ask the "
        "helpdesk to correct how your name is registered."
    ) % {"char": bad, "code": ord(bad)}


def import_chain(chain: list[x509.Certificate]) -> Authority:
    """The issuer's row (``chain`` issuer first), made with its parents when first seen; the
    national service holds the keys (``upstream:``): nothing here signs for it."""
    parent: Authority | None = None
    for certificate in reversed(chain):
        fingerprint = fingerprint_sha256(certificate)
        row = Authority.objects.filter(fingerprint_sha256=fingerprint).first()
        if row is None:
            row = _import(certificate, parent, fingerprint)
        parent = row
    assert parent is not None
    return parent


def _import(certificate: x509.Certificate, parent: Authority | None, fingerprint: str) -> Authority:
    name = f"UPKI {certificate.subject.rfc4514_string()}"[:90]
    try:
        with transaction.atomic():
            row = authority_row(
                certificate,
                name=name,
                slug=unique_slug(name),
                role=Role.INTERMEDIATE if parent is not None else Role.ROOT,
                key_ref=KEY_REF,
            )
            row.parent = parent
            row.status = AuthorityStatus.ACTIVE
            row.save()
            record("authority.imported", obj=row, data={"name": name, "from": "upki"})
            return row
    except IntegrityError:  # another worker imported it at the same moment
        return Authority.objects.get(fingerprint_sha256=fingerprint)


def _issued(line: Line, now: datetime) -> Issued:
    try:
        contents = load_pkcs12(lines.p12_of(line), lines.pin_of(line))
    except WrongPin as exc:
        raise ConnectorRejected(
            f"national service: the collected file does not open ({exc})"
        ) from exc
    chain = contents.chain or []
    if not chain:
        raise ConnectorRejected("national service: the collected file holds no CA certificate")
    authority = import_chain(chain)
    if line.state == LineState.READY:
        with transaction.atomic():
            lines.set_state(line, LineState.DONE, now)
    return Issued(
        certificate=contents.certificate,
        chain=chain,
        private_key=contents.key,
        authority=authority,
    )


def _waiting(line: Line, now: datetime) -> Pending:
    details = {
        LineState.QUEUED: "waiting for the next batch to the national service",
        LineState.SENT: "sent to the national service",
        LineState.ACCEPTED: "accepted by the national service; waiting for its mails",
    }
    return Pending(
        ref=f"upki-line-{line.pk}",
        retry_at=now + current().upki.poll_interval,
        detail=details.get(line.state, line.state),
    )


@dataclass
class UpkiConnector:
    name: str = "upki"

    @classmethod
    def from_config(cls, config: JitsuinConfig) -> UpkiConnector:
        if not config.upki.enabled:
            raise ConfigError(f"{URL}: the upki connector needs the national service's URL")
        return cls()

    def submit_issue(self, order: IssueOrder, *, now: datetime) -> Issued | Pending:
        return self._answer(lines.line_for_issue(order, now), now)

    def submit_revoke(self, order: RevokeOrder, *, now: datetime) -> Revoked | Pending:
        issued = Line.objects.filter(
            ~Q(apply_type=ApplyType.REVOKE), issued_serial=str(order.serial)
        ).first()
        if issued is None:
            raise ConnectorRejected(
                "national service: this certificate was not issued through this portal's "
                "upki connector; revoke it at the service directly"
            )
        line = lines.line_for_revoke(order, issued.dn, issued.user_email, now)
        if issued.revoked_at_service is not None and line.state == LineState.QUEUED:
            # Revoked at the service already (its status list says so): nothing to send.
            with transaction.atomic():
                lines.set_state(line, LineState.DONE, now, finished_at=issued.revoked_at_service)
        answer = self._answer(line, now)
        assert isinstance(answer, Revoked | Pending)
        return answer

    def poll(
        self, ref: str, order: IssueOrder | RevokeOrder, *, now: datetime
    ) -> Issued | Revoked | Pending:
        line = Line.objects.filter(request_id=order.request_id).first()
        if line is None:  # submitted before the line was kept: submit again
            if isinstance(order, IssueOrder):
                return self.submit_issue(order, now=now)
            return self.submit_revoke(order, now=now)
        return self._answer(line, now)

    def _answer(self, line: Line, now: datetime) -> Issued | Revoked | Pending:
        if line.state == LineState.FAILED:
            raise ConnectorRejected(explained(line.error_code, line.error))
        if line.apply_type == ApplyType.REVOKE:
            if line.state == LineState.DONE:
                return Revoked(revoked_at=line.finished_at or now)
            return _waiting(line, now)
        if line.p12_sealed and line.state in (LineState.READY, LineState.DONE):
            return _issued(line, now)
        return _waiting(line, now)

    def in_maintenance(self, now: datetime) -> Maintenance | None:
        """The service answered with its maintenance page a moment ago."""
        last = (
            Batch.objects.filter(state=BatchState.NOT_TAKEN, error__startswith="maintenance")
            .filter(answered_at__gt=now - MAINTENANCE_HOLD)
            .order_by("-answered_at")
            .first()
        )
        if last is None or last.answered_at is None:
            return None
        return Maintenance(until=last.answered_at + MAINTENANCE_HOLD)
