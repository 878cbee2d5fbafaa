"""Putting e-mails in the outbox, exactly once per event, and sending them.

``enqueue`` runs inside the caller's transaction: the message exists if and only if the
change that caused it committed. Sending happens after commit, by a task or the periodic
``send_due``; a message is claimed under a lease before it is handed to the mail server,
so two workers never send the same row, and a refused delivery is retried with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jitsuin.audit.services import SYSTEM, record
from jitsuin.config import current
from jitsuin.notify import batching
from jitsuin.notify.models import OutboxMessage
from jitsuin.notify.public_url import mail_url
from jitsuin.notify.tasks import send_message
from jitsuin.row_inserts import db_value

log = logging.getLogger(__name__)

EVENTS = (
    "request_received",
    "request_cancelled",
    "revocation_done",
    "certificate_ready",
    "pickup_expiring",
    "certificate_expiring",
    "stuck_request",
    "pickup_expired",
    "campaign_invite",
    "campaign_reminder",
    "campaign_deadline",
    "revocation_data_stale",
    "relying_party_behind",
    "audit_checkpoint",
    "leaver_done",
    "leaver_helpdesk",
    "key_recovered",
)


# Staff e-mails may carry both languages: the Japanese text first, then the English one.
BILINGUAL = "ja+en"


class UnknownEvent(ValueError):
    """``enqueue`` was called with an event that has no templates."""


def _language(person: Any, lang: str | None) -> str:
    if lang == BILINGUAL:
        return BILINGUAL
    codes = {code for code, _name in settings.LANGUAGES}
    chosen = lang or getattr(person, "language", None) or settings.LANGUAGE_CODE
    return chosen if chosen in codes else settings.LANGUAGE_CODE


def recipient_language(person: Any) -> str:
    """The language a person's e-mails are written in (theirs when jitsuin has it)."""
    return _language(person, None)


def _mail_domain() -> str:
    """The host of the public URL, for Message-IDs."""
    return mail_url().split("/")[2].split(":")[0]


def render(event: str, context: dict[str, Any], lang: str) -> tuple[str, str]:
    """The subject and body of ``event`` in ``lang`` (templates notify/<lang>/<event>.*.txt).

    ``lang`` ``ja+en`` gives both: subjects joined by " / ", bodies one after the other.
    """
    if event not in EVENTS:
        raise UnknownEvent(event)
    if lang == BILINGUAL:
        subject_ja, body_ja = render(event, context, "ja")
        subject_en, body_en = render(event, context, "en")
        prefix = current().notify.subject_prefix
        subject = f"{subject_ja} / {subject_en.removeprefix(prefix)}"
        return subject, f"{body_ja}\n---------- English ----------\n\n{body_en}"
    config = current()
    full = {
        "portal_url": mail_url() + "/",
        "subject_prefix": config.notify.subject_prefix,
        "institution": config.notify.institution,
        "helpdesk_email": config.helpdesk_email,
        "lang": lang,
        **context,
    }
    person = context.get("person")
    if person is not None and "name" not in context:
        full["name"] = person.display_name(lang)
    with translation.override(lang):
        subject = render_to_string(f"notify/{lang}/{event}.subject.txt", full)
        body = render_to_string(f"notify/{lang}/{event}.body.txt", full)
    return " ".join(subject.split()), body.strip() + "\n"


def enqueue(
    event: str,
    *,
    person: Any = None,
    to: str | None = None,
    key: str,
    context: dict[str, Any],
    lang: str | None = None,
    now: datetime | None = None,
    resend_of: OutboxMessage | None = None,
    likely_new: bool = False,
) -> OutboxMessage:
    """Put one e-mail for ``event`` in the outbox unless ``key`` is already there.

    The recipient is ``to`` or else the person's address; the language is ``lang`` or else
    the person's. Returns the (new or existing) message; must run in a transaction.
    ``likely_new`` (a key named after a row made in this transaction) skips the look-up
    before rendering; the insert itself still refuses a second message with the same key.
    Inside ``batching.batched()`` the message is inserted (and gets its id) at the block's end.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("enqueue must run inside the transaction that makes the change")
    if not likely_new:
        existing = OutboxMessage.objects.filter(key=key).first()
        if existing is not None:
            return existing
    address = to or getattr(person, "email", "")
    if not address:
        raise ValueError(f"no recipient for {event} ({key})")
    language = _language(person, lang)
    subject, body = render(event, {"person": person, **context}, language)
    now = now or timezone.now()
    message = OutboxMessage(
        key=key,
        event=event,
        person=person,
        to=address,
        language=language,
        subject=subject,
        body=body,
        message_id=make_msgid(domain=_mail_domain()),
        created_at=now,
        next_attempt_at=now,
        resend_of=resend_of,
    )
    collecting = batching.pending()
    if collecting is not None:  # inserted, audited and sent with its batch
        collecting.append(message)
        return message
    if not _insert_unless_key_exists(message, connection):
        # Another transaction (or an earlier signal in this one) enqueued the same event.
        return OutboxMessage.objects.get(key=key)
    record(
        "notify.enqueued",
        actor=SYSTEM,
        obj=message,
        data={"event": event, "key": key, "to": address, "language": language},
        at=now,
    )
    transaction.on_commit(lambda: _schedule_send(message.pk))
    return message


_UPSERT_VENDORS = ("sqlite", "postgresql")


def _insert_unless_key_exists(message: OutboxMessage, connection: Any) -> bool:
    """Insert ``message``; False when its key is taken. One statement on SQLite and
    PostgreSQL (INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id): no look-up and no
    savepoint, and a concurrent insert of the same key waits for the other transaction and
    then does nothing, as the unique constraint did before."""
    if connection.vendor not in _UPSERT_VENDORS:
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    meta = OutboxMessage._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [db_value(f, f.pre_save(message, True), connection) for f in fields]
    # Only quoted model names are formatted in; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING RETURNING {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        quote(meta.get_field("key").column),
        quote(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk = row[0]
    message._state.adding = False
    message._state.db = connection.alias
    return True


def _schedule_send(message_id: int) -> None:
    try:
        send_message.enqueue(message_id)
    except Exception:  # the periodic send_due picks it up anyway
        log.exception("could not enqueue the send task for message %s", message_id)


def resend(
    message: OutboxMessage, *, actor: str, reason: str, now: datetime | None = None
) -> OutboxMessage:
    """Send the same e-mail again (helpdesk: "the user never got it"), as a new message."""
    now = now or timezone.now()
    with transaction.atomic():
        count = OutboxMessage.objects.filter(resend_of=message).count()
        copy = OutboxMessage.objects.create(
            key=f"{message.key}:resend:{count + 1}",
            event=message.event,
            person=message.person,
            to=message.to,
            language=message.language,
            subject=message.subject,
            body=message.body,
            message_id=make_msgid(domain=message.message_id.rsplit("@", 1)[-1].rstrip(">")),
            created_at=now,
            next_attempt_at=now,
            resend_of=message,
        )
        record(
            "notify.resent",
            actor=actor,
            obj=copy,
            data={
                "original": message.pk,
                "event": message.event,
                "to": message.to,
                "reason": reason,
            },
            at=now,
        )
        transaction.on_commit(lambda: _schedule_send(copy.pk))
    return copy


_NAME_MARK = "\x00name\x00"


@dataclass(frozen=True)
class BulkItem:
    """One e-mail of a bulk enqueue: its person (recipient and language), key and context."""

    person: Any
    key: str
    context: dict[str, Any]


def render_item(
    event: str, item: BulkItem, *, cache: dict[tuple[str, str], tuple[str, str]] | None = None
) -> tuple[str, str, str]:
    """(language, subject, body) of one bulk e-mail, exactly as ``enqueue_many`` stores it.

    Each distinct context is rendered once per language (``cache``) and the name filled in.
    Previews call this too, so what staff see is what goes out.
    """
    cache = {} if cache is None else cache
    language = _language(item.person, None)
    shared = repr(sorted(item.context.items()))
    if (language, shared) not in cache:
        cache[(language, shared)] = render(event, {**item.context, "name": _NAME_MARK}, language)
    name = item.context.get("name") or item.person.display_name(language)
    subject, body = (text.replace(_NAME_MARK, name) for text in cache[(language, shared)])
    return language, subject, body


def enqueue_many(
    event: str, items: list[BulkItem], *, actor: str = SYSTEM, now: datetime | None = None
) -> int:
    """``enqueue`` for thousands at once (campaign invitations and reminders).

    Same exactly-once keys and templates; one audit event for the batch instead of one per
    message, and no task per message: the periodic ``send_due`` sends them. Templates see the
    person only as ``name``: each distinct context is rendered once per language and the
    name filled in. Returns how many were new. Must run in the caller's transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue_many must run inside the transaction that makes the change")
    now = now or timezone.now()
    existing = set(
        OutboxMessage.objects.filter(key__in=[i.key for i in items]).values_list("key", flat=True)
    )
    domain = _mail_domain()
    rendered: dict[tuple[str, str], tuple[str, str]] = {}
    rows = []
    for item in items:
        if item.key in existing or not getattr(item.person, "email", ""):
            continue
        language, subject, body = render_item(event, item, cache=rendered)
        rows.append(
            OutboxMessage(
                key=item.key,
                event=event,
                person=item.person,
                to=item.person.email,
                language=language,
                subject=subject,
                body=body,
                message_id=make_msgid(domain=domain),
                created_at=now,
                next_attempt_at=now,
            )
        )
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        record(
            "notify.enqueued_many",
            actor=actor,
            data={"event": event, "count": len(rows), "first": rows[0].key, "last": rows[-1].key},
            at=now,
        )
    return len(rows)


HELPDESK_LANGUAGES = ("ja", "en", BILINGUAL)


def helpdesk_language() -> str:
    """``JITSUIN_HELPDESK_LANGUAGE``: ja, en, or ja+en (the default: both in one e-mail)."""
    return current().notify.helpdesk_language
