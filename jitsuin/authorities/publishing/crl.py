"""CRL publication: signed on revocation (debounced), on a schedule, and kept for relying parties.

A revocation writes (or bumps) one ``PendingPublication`` row for its issuer and enqueues one
task when that row is new, so a burst of 1,000 revocations signs a handful of CRLs, not 1,000.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from asn1crypto import pem as asn1_pem
from cryptography import x509
from django.db import connection, transaction
from django.db.models import F, Min, QuerySet
from django.utils import timezone
from django_tasks import task

from jitsuin.audit.services import record
from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import nextupdate
from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import signer_for
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.clock import FixedClock
from jitsuin.pki.crl import (
    RevokedEntry,
    assemble_crl,
    crl_number_of,
    encode_entry,
    parse_reason,
)
from jitsuin.pki.names import Serial

logger = logging.getLogger("jitsuin.revocation")

# Keep superseded CRLs this long after their nextUpdate (for next_crl_update and audits).
KEEP_OLD_CRLS = timedelta(days=2)


def reason_flag(name: str) -> x509.ReasonFlags | None:
    """A stored reason name as a flag; None for none or an unknown name."""
    if not name:
        return None
    try:
        return parse_reason(name)
    except ValueError:
        return None


def crl_entry_der(serial: str, revoked_at: datetime, reason: str) -> bytes:
    """A revocation's CRL entry, as stored with it (``Certificate.crl_entry``) and listed."""
    return encode_entry(RevokedEntry(Serial.parse(serial).value, revoked_at, reason_flag(reason)))


def crl_entries(authority: Authority, now: datetime) -> list[bytes]:
    """The encoded entry of every revocation of ``authority`` in effect at ``now``:
    certificates (stored when each was revoked) and child CAs (a few, encoded here).

    A revoked certificate without a stored entry (revoked before entries were stored, or
    written by a test factory) has it encoded and stored now, once.
    """
    revoked = Certificate.objects.for_crl(authority, now=now)
    stored = list(revoked.order_by().values_list("crl_entry", flat=True))  # index-only scan
    entries = [entry for entry in stored if entry is not None]
    if len(entries) < len(stored):
        entries.extend(_store_missing_entries(revoked.filter(crl_entry__isnull=True)))
    children = Authority.objects.filter(parent=authority, revoked_at__lte=now).values_list(
        "serial", "revoked_at", "revocation_reason"
    )
    entries.extend(crl_entry_der(*child) for child in children)
    return entries


def _store_missing_entries(certificates: QuerySet[Certificate]) -> list[bytes]:
    filled = [
        Certificate(pk=pk, crl_entry=crl_entry_der(serial, revoked_at, reason))
        for pk, serial, revoked_at, reason in certificates.values_list(
            "pk", "serial", "revoked_at", "revocation_reason"
        )
    ]
    Certificate.objects.bulk_update(filled, ["crl_entry"], batch_size=2000)
    logger.info("stored %s CRL entries missing from revoked certificates", len(filled))
    return [certificate.crl_entry for certificate in filled]


def _next_future_revocation(authority: Authority, now: datetime) -> datetime | None:
    """A scheduled revocation that will need a new CRL when its time comes."""
    times = [
        Certificate.objects.filter(issuer=authority, revoked_at__gt=now).aggregate(
            t=Min("revoked_at")
        )["t"],
        Authority.objects.filter(parent=authority, revoked_at__gt=now).aggregate(
            t=Min("revoked_at")
        )["t"],
    ]
    future = [t for t in times if t is not None]
    return min(future) if future else None


def publish_crl(
    authority: Authority, *, now: datetime | None = None, actor: str = "system"
) -> PublishedCrl:
    """Sign and store a new complete CRL of ``authority`` with the next CRL number."""
    now = now or timezone.now()
    with transaction.atomic():
        authority = Authority.objects.select_for_update().get(pk=authority.pk)
        # Capped by a child's announced revocation (nextupdate.py).
        validity = nextupdate.next_update(authority, now) - now
        number = authority.crl_number + 1
        entries = crl_entries(authority, now)
        der = assemble_crl(
            signer_for(authority),
            entries,
            crl_number=number,
            clock=FixedClock(now),
            validity=validity,
        )
        authority.crl_number = number
        authority.save(update_fields=["crl_number"])
        row = _store(
            PublishedCrl(
                authority=authority,
                number=number,
                # As the CRL carries them: whole seconds.
                this_update=now.replace(microsecond=0),
                next_update=(now + validity).replace(microsecond=0),
                entries=len(entries),
            ),
            der,
        )
        PublishedCrl.objects.filter(
            authority=authority, next_update__lt=now - KEEP_OLD_CRLS
        ).exclude(pk=row.pk).delete()
        record(
            "crl.published",
            actor=actor,
            obj=authority,
            data={
                "number": number,
                "entries": len(entries),
                "next_update": row.next_update.isoformat(),
            },
            at=now,
        )
        # Lock order, as a revocation takes them: audit head first, then PendingPublication
        # (a revocation schedules its CRL after recording its audit event). Touching the
        # pending row before record() deadlocked concurrent revocations.
        PendingPublication.objects.filter(authority=authority, due_at__lte=now).delete()
        upcoming = _next_future_revocation(authority, now)
        if upcoming is not None:
            schedule_publication(authority, now=now, due_at=upcoming)
    logger.info("published CRL %s of %s with %s entries", number, authority.slug, len(entries))
    return row


def _store(row: PublishedCrl, der: bytes) -> PublishedCrl:
    """Save ``row`` with the CRL ``der``. On PostgreSQL the bytes go as a binary parameter:
    Django binds parameters into the SQL text, which spells a CRL of 100,000 entries (5 MB)
    as 10 MB of hex, a quarter of a second to send and parse (2.5 s at a million)."""
    if connection.vendor != "postgresql":
        row.der = der
        row.save(force_insert=True)
        return row
    row.der = b""
    row.save(force_insert=True)
    table = PublishedCrl._meta.db_table
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"UPDATE {table} SET der = %b WHERE id = %s", [der, row.pk])  # noqa: S608
    row.der = der
    return row


def record_crl(
    authority: Authority,
    crl: x509.CertificateRevocationList,
    der: bytes,
    *,
    actor: str,
    data: dict[str, Any] | None = None,
) -> PublishedCrl | None:
    """Publish a CRL of ``authority`` signed elsewhere (an offline root's ceremony, a remote
    signer): its signature checked against the CA's certificate, stored and audited when newer
    than the last one (None when it is not). Runs in the caller's transaction; locks the CA."""
    issuer = x509.load_der_x509_certificate(bytes(authority.certificate_der))
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        raise ValueError(f"the CRL is not signed by {authority.name}")
    number = crl_number_of(crl)
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    if number <= authority.crl_number:
        return None
    authority.crl_number = number
    authority.save(update_fields=["crl_number"])
    row = _store(
        PublishedCrl(
            authority=authority,
            number=number,
            this_update=crl.last_update_utc,
            next_update=crl.next_update_utc or crl.last_update_utc,
            entries=len(crl),
        ),
        der,
    )
    audited = {"number": number, "entries": row.entries, "next_update": row.next_update.isoformat()}
    record("crl.published", actor=actor, obj=authority, data={**audited, **(data or {})})
    return row


def schedule_publication(
    authority: Authority | int, *, now: datetime | None = None, due_at: datetime | None = None
) -> PendingPublication:
    """Ask for a new CRL of ``authority`` at ``due_at`` (default: after the debounce delay).

    Call it inside the transaction that makes the revocation; the first call of a burst
    enqueues one task on commit, later calls only bump the pending row.
    """
    now = now or timezone.now()
    due = due_at or now + timings().crl_debounce
    authority_id = authority if isinstance(authority, int) else authority.pk
    with transaction.atomic():
        # Locking read: a publisher deleting the row meanwhile makes this create a new one.
        row, created = PendingPublication.objects.select_for_update().get_or_create(
            authority_id=authority_id, defaults={"requested_at": now, "due_at": due}
        )
        if not created:
            PendingPublication.objects.filter(pk=row.pk).update(changes=F("changes") + 1)
            if due < row.due_at:
                PendingPublication.objects.filter(pk=row.pk).update(due_at=due)
                row.due_at = due
                created = True  # an earlier run is needed than the one already enqueued
    if created:
        transaction.on_commit(lambda: _enqueue_publication(due))
    return row


@task(queue_name="publish")
def publish_pending() -> int:
    """The worker's side of schedule_publication(): sign what is due."""
    return len(publish_due())


def _enqueue_publication(due: datetime) -> None:
    try:
        publish_pending.using(run_after=due).enqueue()
    except Exception:  # the periodic refresh publishes it anyway
        logger.exception("could not enqueue the CRL publication task")


def publish_due(now: datetime | None = None) -> list[PublishedCrl]:
    """Publish every pending CRL whose time has come; safe with several workers."""
    now = now or timezone.now()
    published = []
    # A remote signer's CA: its CRL is pulled (connectors.remote_crl.periodic_pull), not signed.
    due = PendingPublication.objects.filter(
        due_at__lte=now, authority__in=Authority.objects.online()
    ).values_list("authority_id", flat=True)
    for authority_id in list(due):
        with transaction.atomic():
            # The CA row elects the publisher (publish_crl locks it anyway); the pending row
            # is only read here, so that it is locked after the audit head, never before.
            locked = Authority.objects.select_for_update(skip_locked=True).filter(pk=authority_id)
            if (
                not list(locked.values_list("pk", flat=True))
                or not (
                    PendingPublication.objects.filter(authority_id=authority_id, due_at__lte=now)
                ).exists()
            ):
                continue  # another worker has it, or published it meanwhile
            published.append(publish_crl(Authority.objects.get(pk=authority_id), now=now))
    return published


def needs_refresh(authority: Authority, now: datetime) -> bool:
    latest = PublishedCrl.objects.latest_times_for(authority)
    if latest is None:
        return True
    t = timings()
    return (
        now - latest.this_update >= t.crl_refresh
        or latest.next_update - now < nextupdate.refresh_margin(authority, latest, now)
    )


def refresh_crls(now: datetime | None = None) -> list[PublishedCrl]:
    """Pending CRLs, then every CA whose CRL is due for its scheduled re-signing.

    Retired, revoked and expired CAs keep publishing: relying parties still need their CRLs.
    """
    now = now or timezone.now()
    published = publish_due(now)
    done = {row.authority_id for row in published}
    for authority in Authority.objects.online().exclude(pk__in=done):
        if needs_refresh(authority, now):
            published.append(publish_crl(authority, now=now))
    return published


class NotYetPublished(Exception):
    """A CA has no CRL yet. Its first one is scheduled for the worker to sign: the web side
    never holds a CA key."""

    def __init__(self, authorities: list[Authority]) -> None:
        super().__init__(", ".join(a.slug for a in authorities))
        self.authorities = authorities


def latest_published_crl(authority: Authority, *, now: datetime | None = None) -> PublishedCrl:
    """The newest CRL of ``authority`` as published, never signing one (for the web side).

    With none yet, its publication is scheduled at once and NotYetPublished raised.
    """
    row = PublishedCrl.objects.latest_for(authority)
    if row is None:
        now = now or timezone.now()
        schedule_publication(authority, now=now, due_at=now)
        raise NotYetPublished([authority])
    return row


@dataclass(frozen=True)
class CrlBundle:
    """Every published CRL in PEM, roots first, and the CAs left out for having none yet."""

    pem: str
    pending: list[Authority]


def published_bundle(*, now: datetime | None = None) -> CrlBundle:
    """``crl_bundle_pem`` without signing. A CA without a CRL (made before CAs got their
    first CRL at creation, or whose first one failed) is left out and its publication
    scheduled at once, so one new CA never takes the whole bundle down."""
    now = now or timezone.now()
    authorities = sorted(Authority.objects.all(), key=lambda a: (a.role != "root", a.not_before))
    pems, pending = [], []
    for authority in authorities:
        row = PublishedCrl.objects.latest_for(authority)
        if row is None:
            schedule_publication(authority, now=now, due_at=now)
            pending.append(authority)
        else:
            pems.append(crl_pem(row))
    return CrlBundle(pem="".join(pems), pending=pending)


def latest_crl_or_sign(authority: Authority, *, now: datetime | None = None) -> PublishedCrl:
    """The newest CRL of ``authority``, signed on the spot when none was published yet (CLI and
    start-up only: the web side uses ``latest_published_crl``)."""
    return PublishedCrl.objects.latest_for(authority) or publish_crl(authority, now=now)


def next_crl_update(authority: Authority, *, now: datetime | None = None) -> datetime | None:
    """When CRL-checking services will see a revocation of a certificate of ``authority`` made now.

    Relying parties may keep a CRL until its nextUpdate, so the answer is the nextUpdate of
    the oldest CRL of ``authority`` that is still valid (or the pending publication, if later).
    None when no CRL was ever published. Services that must be reloaded (nginx, FreeRADIUS)
    see it at their next reload after publication: docs/relying-parties.md.
    """
    now = now or timezone.now()
    oldest = (
        PublishedCrl.objects.filter(authority=authority)
        .still_valid(now)
        .aggregate(t=Min("next_update"))["t"]
    )
    if oldest is None:
        return None
    pending = PendingPublication.objects.filter(authority=authority).first()
    if pending is not None and pending.due_at > oldest:
        return pending.due_at
    return oldest


def crl_visibility(certificate: Certificate) -> dict[str, Any]:
    """For the revocation e-mail (provided through ``jitsuin.notify.hooks``): when
    CRL-checking services see the revocation, or else "within N hours" (the CRL validity)."""
    crl_by = next_crl_update(certificate.issuer, now=certificate.revoked_at)
    hours = int(timings().crl_validity.total_seconds() // 3600)
    return {"crl_by": crl_by, "crl_within_hours": hours}


def crl_pem(row: PublishedCrl) -> str:
    """The stored CRL in PEM, without parsing it (50 MB at a million entries)."""
    return bytes(asn1_pem.armor("X509 CRL", bytes(row.der))).decode()


def crl_bundle_pem(*, now: datetime | None = None) -> str:
    """Every CA's current CRL in PEM, roots first (FreeRADIUS check_crl needs all of them)."""
    authorities = sorted(Authority.objects.all(), key=lambda a: (a.role != "root", a.not_before))
    return "".join(crl_pem(latest_crl_or_sign(a, now=now)) for a in authorities)
