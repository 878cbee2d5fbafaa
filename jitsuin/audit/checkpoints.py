"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint says "at time T the chain's event SEQ had hash H", signed with the audit
checkpoint key (Ed25519, ``jitsuin.audit.keys``). One line per checkpoint is appended to
``audit-checkpoints.log`` (mode 0600; ``JITSUIN_AUDIT_CHECKPOINT_DIR``):

    jitsuin-audit-checkpoint/1 seq=42 hash=<64 hex> at=2026-04-01T09:00:00Z sig=<base64>

The signature covers the line up to `` sig=`` (UTF-8), so the file can be checked offline
with the public key alone (docs/audit.md). Someone who rewrites or truncates the chain in
the database cannot make it match a checkpoint written before, nor forge a new one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jitsuin.audit.chain import verify_chain
from jitsuin.audit.keys import chain_key, checkpoint_signing_key
from jitsuin.audit.models import AuditChainHead, AuditEvent
from jitsuin.audit.services import keyed_from
from jitsuin.config import current

MAGIC = "jitsuin-audit-checkpoint/1"
_LINE = re.compile(
    r"^(?P<signed>" + re.escape(MAGIC) + r" seq=(?P<seq>[1-9][0-9]{0,18}) "
    r"hash=(?P<hash>[0-9a-f]{64}) at=(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ))"
    r" sig=(?P<sig>[A-Za-z0-9+/=]{1,200})$"
)
_TAIL = 4096


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    signature: bytes = b""

    @property
    def signed_text(self) -> str:
        return f"{MAGIC} seq={self.seq} hash={self.hash} at={self.at:%Y-%m-%dT%H:%M:%SZ}"

    @property
    def line(self) -> str:
        return f"{self.signed_text} sig={base64.b64encode(self.signature).decode()}"


class CheckpointRefused(Exception):
    """The chain is already broken since the last checkpoint: jitsuin will not sign it."""


class BadLine(ValueError):
    """A line of the checkpoint log that is not a checkpoint."""


def parse(line: str) -> Checkpoint:
    match = _LINE.match(line.rstrip("\n"))
    if not match:
        raise BadLine("not a checkpoint line")
    try:
        signature = base64.b64decode(match["sig"], validate=True)
    except binascii.Error as exc:
        raise BadLine("the signature is not base64") from exc
    at = datetime.strptime(match["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return Checkpoint(int(match["seq"]), match["hash"], at, signature)


def signature_holds(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(checkpoint.signature, checkpoint.signed_text.encode())
    except InvalidSignature:
        return False
    return True


def read(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-empty line; nothing when the file does not exist."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield number, text


def last(path: Path) -> Checkpoint | None:
    """The newest well-formed checkpoint in ``path`` (read from the end of the file)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - _TAIL))
            tail = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    for text in reversed(tail.splitlines()):
        try:
            return parse(text)
        except BadLine:
            continue
    return None


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_APPEND: one write per line, so concurrent writers never interleave inside a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def write(now: datetime) -> Checkpoint | None:
    """Sign the chain's current head and append it to the checkpoint log.

    The events since the previous checkpoint are verified first (the previous checkpoint's
    event must still carry its hash): a chain that is already broken is refused rather
    than signed. None when the log is empty."""
    path = current().audit_checkpoint_path
    newest = AuditEvent.objects.order_by("-id").first()
    if newest is None:
        return None
    previous = last(path)
    key = chain_key()
    if previous is not None:
        anchor = AuditEvent.objects.filter(pk=previous.seq).values_list("hash", flat=True).first()
        if anchor != previous.hash:
            raise CheckpointRefused(
                f"the event of the last checkpoint (seq {previous.seq}) is missing or changed"
            )
        since = AuditEvent.objects.filter(pk__gt=previous.seq, pk__lte=newest.pk)
        broken = verify_chain(
            since.order_by("id").iterator(chunk_size=2000),
            key=key,
            keyed_from=keyed_from(),
            previous=previous.hash,
        )
    else:
        broken = verify_chain(
            AuditEvent.objects.filter(pk__lte=newest.pk).order_by("id").iterator(chunk_size=2000),
            key=key,
            keyed_from=keyed_from(),
        )
    if broken is not None:
        raise CheckpointRefused(f"the chain is broken at {broken.describe()}")
    checkpoint = Checkpoint(newest.pk, newest.hash, now.astimezone(UTC).replace(microsecond=0))
    signature = checkpoint_signing_key().sign(checkpoint.signed_text.encode())
    checkpoint = Checkpoint(checkpoint.seq, checkpoint.hash, checkpoint.at, signature)
    _append(path, checkpoint.line)
    return checkpoint


def due(now: datetime) -> bool:
    """A checkpoint is due every ``JITSUIN_AUDIT_CHECKPOINT_EVERY`` and whenever
    ``JITSUIN_AUDIT_CHECKPOINT_EVENTS`` events were appended since the last one."""
    config = current()
    head = AuditChainHead.objects.filter(pk=1).values_list("count", flat=True).first()
    if not head:
        return False
    previous = last(config.audit_checkpoint_path)
    if previous is None or now - previous.at >= config.audit_checkpoint_every:
        return True
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return newest - previous.seq >= config.audit_checkpoint_events


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    problem: str | None


def verify(lines: Iterable[tuple[int, str]], public_key: Ed25519PublicKey) -> CheckpointReport:
    """Every checkpoint's signature, and that its (seq, hash) is in the chain; the first
    problem as one line naming the checkpoint, or None."""
    pending: list[tuple[int, Checkpoint]] = []
    checked = 0
    first_problem: tuple[int, str] | None = None

    def note(number: int, text: str) -> None:
        nonlocal first_problem
        if first_problem is None or number < first_problem[0]:
            first_problem = (number, text)

    def match_pending() -> None:
        seqs = {checkpoint.seq for _number, checkpoint in pending}
        stored = dict(AuditEvent.objects.filter(pk__in=seqs).values_list("id", "hash"))
        for number, checkpoint in pending:
            seq = checkpoint.seq
            if seq not in stored:
                note(number, f"{_name(number, checkpoint)}: event {seq} is no longer in the chain")
            elif stored[seq] != checkpoint.hash:
                note(number, f"{_name(number, checkpoint)}: event {seq} no longer has that hash")
        pending.clear()

    for number, text in lines:
        checked += 1
        try:
            checkpoint = parse(text)
        except BadLine as exc:
            note(number, f"checkpoint line {number}: {exc}")
            continue
        if not signature_holds(checkpoint, public_key):
            note(number, f"{_name(number, checkpoint)}: the signature does not verify")
            continue
        pending.append((number, checkpoint))
        if len(pending) >= 1000:
            match_pending()
    match_pending()
    return CheckpointReport(checked, first_problem[1] if first_problem else None)


def _name(number: int, checkpoint: Checkpoint) -> str:
    return f"checkpoint line {number} (seq {checkpoint.seq}, at {checkpoint.at:%Y-%m-%dT%H:%M:%SZ})"
