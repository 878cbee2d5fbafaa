"""Review finding 3: whoever can write to the database must not be able to rewrite the audit
log so that `jitsuin audit verify` still says OK.

The attack is security-scripts/forge_audit.py done through the ORM (so it runs on SQLite and
PostgreSQL): delete the ``campaign.started`` event, change the helpdesk's sign-in to another
actor, recompute every later hash (plain SHA-256 as before, or an HMAC under a guessed key),
and move the chain head.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from jitsuin import config
from jitsuin.audit import checkpoints, keys
from jitsuin.audit.chain import GENESIS, KEYED_MARKER, event_hash, legacy_event_hash
from jitsuin.audit.keys import chain_key
from jitsuin.audit.models import AuditChainHead, AuditEvent
from jitsuin.audit.services import mark_chain_keyed, record
from jitsuin.notify import audit_checkpoints
from jitsuin.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
Rehash = Callable[[str, AuditEvent], str]


def _fields(prev_hash: str, event: AuditEvent) -> dict[str, object]:
    return {
        "prev_hash": prev_hash,
        "event_id": event.pk,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def plain_sha256(prev_hash: str, event: AuditEvent) -> str:
    return legacy_event_hash(**_fields(prev_hash, event))  # type: ignore[arg-type]


GUESSED_KEY = os.urandom(32)


def guessed_key(prev_hash: str, event: AuditEvent) -> str:
    return event_hash(key=GUESSED_KEY, **_fields(prev_hash, event))  # type: ignore[arg-type]


def a_day_of_events() -> dict[str, AuditEvent]:
    """The events of the review's run: sign-ins, a campaign, requests."""
    made = {}
    steps = [
        ("access.signed_in", "user:operator"),
        ("campaign.created", "user:operator"),
        ("campaign.started", "user:operator"),
        ("access.signed_in", "user:helpdesk"),
        ("request.retried", "user:helpdesk"),
        ("notify.sent", "system"),
        ("request.issue.done", "system"),
    ]
    for n, (action, actor) in enumerate(steps):
        with transaction.atomic():
            event = record(action, actor=actor, data={"n": n}, at=T0 + timedelta(minutes=n))
        made.setdefault(f"{action} {actor}", event)
    return made


def rewrite(*, delete: AuditEvent, edit: AuditEvent, rehash: Rehash, from_genesis: bool) -> None:
    """forge_audit.py: delete one event, change another's actor, recompute the hashes after
    the change (or every hash, as the script does), and move the head."""
    AuditEvent.objects.filter(pk=delete.pk).delete()
    AuditEvent.objects.filter(pk=edit.pk).update(actor="user:demo-student")
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id"):
        count += 1
        if not from_genesis and event.pk < delete.pk:
            previous = event.hash
            continue
        new_hash = rehash(previous, event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=previous, hash=new_hash)
        previous = new_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous, count=count)


def verify_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_problems(*args: str) -> list[str]:
    with pytest.raises(CommandError) as failed:
        verify_cli(*args)
    return str(failed.value).splitlines()


def checkpoint_cli() -> str:
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    return out.getvalue()


def checkpoint_log() -> str:
    return config.current().audit_checkpoint_path.read_text()


# The attack of the review


@pytest.mark.parametrize("rehash", [plain_sha256, guessed_key], ids=["sha256", "guessed-key"])
def test_the_reviews_rewrite_from_genesis_is_detected(rehash):
    made = a_day_of_events()
    rewrite(
        delete=made["campaign.started user:operator"],
        edit=made["access.signed_in user:helpdesk"],
        rehash=rehash,
        from_genesis=True,
    )
    problems = verify_problems()
    first = AuditEvent.objects.order_by("id").first()
    assert problems == [
        f"BROKEN at event {first.pk}: content does not match its hash: this event was changed "
        f"(or its hash was computed without the audit key) "
        f"(at {first.at.isoformat()}, action access.signed_in)"
    ]


@pytest.mark.parametrize("rehash", [plain_sha256, guessed_key], ids=["sha256", "guessed-key"])
def test_a_careful_rewrite_after_the_deleted_event_is_detected_at_the_first_forged_event(rehash):
    made = a_day_of_events()
    deleted = made["campaign.started user:operator"]
    rewrite(
        delete=deleted,
        edit=made["access.signed_in user:helpdesk"],
        rehash=rehash,
        from_genesis=False,
    )
    (problem,) = verify_problems()
    forged = AuditEvent.objects.filter(pk__gt=deleted.pk).order_by("id").first()
    assert problem.startswith(f"BROKEN at event {forged.pk}: content does not match its hash")
    assert f"at {forged.at.isoformat()}, action access.signed_in" in problem


def test_a_rewrite_that_checkpoints_saw_is_also_a_checkpoint_mismatch():
    made = a_day_of_events()
    checkpoint_cli()
    rewrite(
        delete=made["campaign.started user:operator"],
        edit=made["access.signed_in user:helpdesk"],
        rehash=plain_sha256,
        from_genesis=True,
    )
    chain, mismatch = verify_problems()
    assert chain.startswith("BROKEN at event ")
    newest = made["request.issue.done system"]
    assert mismatch == (
        f"CHECKPOINT MISMATCH at checkpoint line 1 (seq {newest.pk}, at "
        f"{checkpoints.last(config.current().audit_checkpoint_path).at:%Y-%m-%dT%H:%M:%SZ}): "
        f"event {newest.pk} no longer has that hash"
    )


def test_every_append_path_writes_keyed_hashes():
    with transaction.atomic():
        fast = record("fast", data={"n": 1}, at=T0)
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            portable = record("portable", data={"ratio": 1e20}, at=T0.replace(tzinfo=None))
    for event in AuditEvent.objects.filter(pk__in=[fast.pk, portable.pk]).order_by("id"):
        fields = _fields(event.prev_hash, event)
        assert event.hash == event_hash(key=chain_key(), **fields)  # type: ignore[arg-type]
        assert event.hash != legacy_event_hash(**fields)  # type: ignore[arg-type]


# Checkpoints


def test_truncating_the_tail_after_a_checkpoint_is_detected():
    made = a_day_of_events()
    assert "checkpoint: event" in checkpoint_cli()
    newest = made["request.issue.done system"]
    # Delete the two newest events and move the head back: the chain alone still holds.
    kept = AuditEvent.objects.order_by("-id")[2]
    AuditEvent.objects.filter(pk__gt=kept.pk).delete()
    AuditChainHead.objects.filter(pk=1).update(
        last_hash=kept.hash, count=AuditEvent.objects.count()
    )
    (problem,) = verify_problems()
    assert problem.startswith("CHECKPOINT MISMATCH at checkpoint line 1 (seq ")
    assert problem.endswith(f"event {newest.pk} is no longer in the chain")


def test_a_correct_chain_with_checkpoints_verifies():
    a_day_of_events()
    checkpoint_cli()
    with transaction.atomic():
        record("request.retried", actor="user:helpdesk")
    checkpoint_cli()
    assert verify_cli() == "OK: 8 events, the hash chain is intact; 2 checkpoints match\n"
    path = config.current().audit_checkpoint_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("jitsuin-audit-checkpoint/1 ") for line in lines)


def test_an_edited_checkpoint_file_is_detected():
    made = a_day_of_events()
    checkpoint_cli()
    path = config.current().audit_checkpoint_path
    line = path.read_text()
    # Point the checkpoint at an earlier event, with that event's real hash.
    earlier = made["campaign.started user:operator"]
    newest = made["request.issue.done system"]
    edited = line.replace(
        f"seq={newest.pk} hash={newest.hash}", f"seq={earlier.pk} hash={earlier.hash}"
    )
    assert edited != line
    path.write_text(edited)
    (problem,) = verify_problems()
    assert problem.startswith(f"CHECKPOINT MISMATCH at checkpoint line 1 (seq {earlier.pk}")
    assert problem.endswith("the signature does not verify")


def test_a_checkpoint_signed_with_another_key_is_detected():
    a_day_of_events()
    newest = AuditEvent.objects.order_by("-id").first()
    forged = checkpoints.Checkpoint(newest.pk, newest.hash, T0)
    forged = checkpoints.Checkpoint(
        forged.seq,
        forged.hash,
        forged.at,
        Ed25519PrivateKey.generate().sign(forged.signed_text.encode()),
    )
    config.current().audit_checkpoint_path.write_text(forged.line + "\n")
    (problem,) = verify_problems()
    assert problem.endswith("the signature does not verify")


def test_a_checkpoint_is_refused_when_the_chain_is_already_broken():
    made = a_day_of_events()
    AuditEvent.objects.filter(pk=made["campaign.started user:operator"].pk).update(actor="x")
    with pytest.raises(CommandError, match="no checkpoint written: the chain is broken at event"):
        checkpoint_cli()
    assert not config.current().audit_checkpoint_path.exists()


def test_checkpoints_verify_offline_with_the_exported_public_key(tmp_path):
    a_day_of_events()
    checkpoint_cli()
    out = io.StringIO()
    call_command("audit", "public-key", stdout=out)
    pem = tmp_path / "audit-public.pem"
    pem.write_text(out.getvalue())
    public_key = serialization.load_pem_public_key(pem.read_bytes())
    (line,) = checkpoint_log().splitlines()
    parsed = checkpoints.parse(line)
    public_key.verify(parsed.signature, line.split(" sig=")[0].encode())  # type: ignore[union-attr]
    copy = tmp_path / "mailed-checkpoints.log"
    copy.write_text(line + "\n")
    assert "1 checkpoints match" in verify_cli("--checkpoints", str(copy), "--public-key", str(pem))
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (problem,) = verify_problems("--checkpoints", str(copy), "--public-key", str(other))
    assert problem.endswith("the signature does not verify")


def test_checkpoints_are_due_hourly_and_after_n_events(monkeypatch):
    monkeypatch.setenv("JITSUIN_AUDIT_CHECKPOINT_EVENTS", "3")
    config.current.cache_clear()
    assert not checkpoints.due(T0)  # an empty log
    a_day_of_events()
    audit_checkpoints.tick(T0)
    assert len(checkpoint_log().splitlines()) == 1
    audit_checkpoints.tick(T0 + timedelta(minutes=1))  # nothing new yet
    for n in range(3):
        with transaction.atomic():
            record("request.retried", data={"n": n})
    assert checkpoints.due(T0 + timedelta(minutes=2))
    audit_checkpoints.tick(T0 + timedelta(minutes=2))
    assert not checkpoints.due(T0 + timedelta(minutes=3))
    assert checkpoints.due(T0 + timedelta(hours=1, minutes=2))
    assert len(checkpoint_log().splitlines()) == 2
    assert "2 checkpoints match" in verify_cli()


def test_checkpoints_are_emailed_to_the_audit_address(monkeypatch):
    monkeypatch.setenv("JITSUIN_AUDIT_EMAIL", "audit@example.ac.jp")
    config.current.cache_clear()
    a_day_of_events()
    written = audit_checkpoints.checkpoint(T0)
    message = OutboxMessage.objects.get(event="audit_checkpoint")
    assert message.to == "audit@example.ac.jp"
    assert written.line in message.body
    assert "監査ログ" in message.subject


# Logs from before the chain was keyed


def legacy_events(n: int) -> None:
    """What an earlier install left behind: plain SHA-256 hashes."""
    head, _ = AuditChainHead.objects.get_or_create(pk=1)
    previous = GENESIS
    for i in range(n):
        event = AuditEvent.objects.create(
            at=T0 + timedelta(seconds=i),
            actor="system",
            action="legacy.event",
            data={"n": i},
            prev_hash=previous,
            hash=f"pending-{i}",
        )
        event.refresh_from_db()
        event.hash = plain_sha256(previous, event)
        event.save(update_fields=["hash"])
        previous = event.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous, count=n)


def test_a_legacy_log_keeps_verifying_after_the_switch():
    legacy_events(3)
    marker = mark_chain_keyed(at=T0 + timedelta(minutes=1))
    assert marker is not None and marker.action == KEYED_MARKER
    assert marker.data["legacy_events"] == 3
    assert mark_chain_keyed() is None  # once only
    with transaction.atomic():
        record("request.retried", actor="user:helpdesk")
    checkpoint_cli()
    assert verify_cli() == "OK: 5 events, the hash chain is intact; 1 checkpoints match\n"


def test_removing_the_switch_marker_to_rewrite_as_legacy_is_detected():
    legacy_events(3)
    marker = mark_chain_keyed(at=T0 + timedelta(minutes=1))
    with transaction.atomic():
        record("access.signed_in", actor="user:helpdesk", at=T0 + timedelta(minutes=2))
    # Drop the marker and pass everything off as a legacy log.
    AuditEvent.objects.filter(pk=marker.pk).delete()
    AuditEvent.objects.filter(action="access.signed_in").update(actor="user:demo-student")
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id"):
        new_hash = plain_sha256(previous, event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=previous, hash=new_hash)
        previous = new_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous, count=3 + 1)
    (problem,) = verify_problems()
    assert problem.startswith("BROKEN at event ")
    assert "computed without the audit key" in problem


def test_a_legacy_event_after_the_switch_is_refused():
    legacy_events(2)
    marker = mark_chain_keyed()
    with transaction.atomic():
        later = record("request.retried")
    AuditEvent.objects.filter(pk=later.pk).update(
        hash=plain_sha256(marker.hash, AuditEvent.objects.get(pk=later.pk))
    )
    AuditChainHead.objects.filter(pk=1).update(last_hash=AuditEvent.objects.get(pk=later.pk).hash)
    (problem,) = verify_problems()
    assert problem.startswith(f"BROKEN at event {later.pk}: content does not match")


def test_rewriting_the_legacy_part_is_detected_at_the_switch_marker():
    """forge_audit.py on an upgraded install: the legacy events before the marker are plain
    SHA-256, so they can be recomputed, but the marker's HMAC covers the last legacy hash."""
    legacy_events(3)
    marker = mark_chain_keyed(at=T0 + timedelta(minutes=1))
    first, second, third = AuditEvent.objects.order_by("id")[:3]
    rewrite(delete=second, edit=third, rehash=plain_sha256, from_genesis=True)
    (problem,) = verify_problems()
    assert problem.startswith(
        f"BROKEN at event {marker.pk}: the switch to the keyed chain does not match its hash"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JITSUIN_AUDIT_KEY", "00" * 16),
        ("JITSUIN_AUDIT_KEY", "not hex"),
        ("JITSUIN_AUDIT_CHECKPOINT_EVERY", "0"),
        ("JITSUIN_AUDIT_CHECKPOINT_EVENTS", "0"),
        ("JITSUIN_AUDIT_EMAIL", "nobody"),
    ],
)
def test_audit_settings_that_cannot_work_are_refused_by_name(variable, value):
    with pytest.raises(config.ConfigError, match=variable):
        config.JitsuinConfig.from_env({variable: value})


def test_an_audit_key_of_its_own_is_used_instead_of_the_kek(monkeypatch):
    derived = keys.chain_key()
    monkeypatch.setenv("JITSUIN_AUDIT_KEY", "ab" * 32)
    config.current.cache_clear()
    keys.chain_key.cache_clear()
    try:
        assert keys.chain_key() == bytes.fromhex("ab" * 32) != derived
    finally:
        monkeypatch.delenv("JITSUIN_AUDIT_KEY")
        config.current.cache_clear()
        keys.chain_key.cache_clear()
    assert keys.chain_key() == derived
