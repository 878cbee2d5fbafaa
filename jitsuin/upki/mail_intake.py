"""The service's mails: read from the portal's mailbox, checked, kept, matched to lines.

A mail is kept (``Mail``, unique by Message-ID) before the mailbox is told it was read, so
a crash reads it again and the same mail is never acted on twice; a second mail carrying a
one-time URL already seen is a duplicate. The one-time URLs are followed here: the access
PIN step (which the service requires before any download), then the bulk download's ZIP,
whose ``.p12`` is sealed on its line at once: the URL works only once.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path

from django.db import IntegrityError, transaction

from jitsuin.audit.services import record
from jitsuin.upki import lines, one_time_urls
from jitsuin.upki.models import ApplyType, Line, LineState, Mail, MailState
from jitsuin.upstream.client import (
    BulkFile,
    PinLine,
    UpstreamRefused,
    UpstreamUnavailable,
    fetch_bulk,
    fetch_pins,
)
from jitsuin.upstream.mailbox import MailSource
from jitsuin.upstream.mails import Kind, Notice, parse_mail, subject_of
from jitsuin.upstream.smime import MailNotTrusted, verify_signed_mail

logger = logging.getLogger("jitsuin.upki")
OPEN = (LineState.SENT, LineState.ACCEPTED)
# A mail whose URL answers "not yet" this many times is left for the console.
MAX_TRIES = 60
# One-time URLs followed at once.
FETCHERS = 8


def _message_id(raw: bytes, fallback: str) -> str:
    for line in raw[:20_000].split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")[:300]
    return f"<no-id-{hashlib.sha256(raw or fallback.encode()).hexdigest()[:32]}>"


def read_mailbox(source: MailSource, mail_ca: Path, now: datetime, *, limit: int = 500) -> int:
    """Keep every unread mail of ``source``; returns how many were new."""
    new = 0
    for key, raw in source.unread(limit):
        if keep(raw, mail_ca, now, fallback=key) is not None:
            new += 1
        source.done(key)
    return new


def keep(raw: bytes, mail_ca: Path, now: datetime, *, fallback: str = "") -> Mail | None:
    """The mail ``raw`` recorded, or None when this Message-ID was kept already."""
    message_id = _message_id(raw, fallback)
    fields: dict[str, object] = {
        "received_at": now,
        "state": MailState.UNMATCHED,
        "subject": subject_of(raw)[: Mail._meta.get_field("subject").max_length],
    }
    notice: Notice | None = None
    if not raw:
        fields.update(state=MailState.UNREADABLE, note="larger than a notice can be")
    else:
        try:
            verify_signed_mail(raw, mail_ca)
        except MailNotTrusted as exc:
            fields.update(state=MailState.UNTRUSTED, note=str(exc)[:500])
        else:
            notice = parse_mail(raw)
            if notice is None:
                fields.update(state=MailState.UNREADABLE, note="not a notice of the service")
    if notice is not None:
        fields.update(
            kind=notice.kind.name,
            url_sealed=one_time_urls.sealed(notice.url, message_id),
            url_hash=one_time_urls.fingerprint(notice.url),
            url_shown=one_time_urls.shown_url(notice.url),
            dn=notice.dn,
            serial=notice.serial,
        )
        if notice.url and Mail.objects.filter(url_hash=fields["url_hash"]).exists():
            fields.update(
                state=MailState.DUPLICATE, note="a mail with this URL came before", url_sealed=b""
            )
    try:
        with transaction.atomic():
            mail = Mail.objects.create(message_id=message_id, **fields)
            record(
                "upki.mail.received",
                obj=mail,
                at=now,
                data={"kind": mail.kind, "state": mail.state, "message_id": message_id},
            )
    except IntegrityError:
        logger.info("upki mail %s seen before", message_id)
        return None
    return mail


def match_waiting(context: ssl.SSLContext, now: datetime) -> dict[str, int]:
    """Act on every unmatched mail, oldest first. The one-time URLs are followed
    ``FETCHERS`` at a time (the service makes each key when its file is asked for: about
    30 s each at the real one): the PIN steps first, then the downloads they open; each
    answer is recorded as soon as it comes in."""
    counts = {"matched": 0, "waiting": 0}
    waiting = list(
        Mail.objects.filter(state=MailState.UNMATCHED, tries__lt=MAX_TRIES).order_by(
            "received_at", "id"
        )
    )
    pin_steps = [m for m in waiting if m.kind == Kind.ACCESS_PIN.name and m.followed_at is None]
    for mail, answer in _follow(pin_steps, lambda url: fetch_pins(url, context=context)):
        _count(counts, _access_pin(mail, now, answer))
    # The downloads need the PIN steps done (the service refuses them before).
    downloads = [m for m in waiting if m.kind == Kind.ISSUE_ACCEPTED.name]
    for mail, answer in _follow(downloads, lambda url: fetch_bulk(url, context=context)):
        _count(counts, _download(mail, now, answer))
    for mail in waiting:
        if mail not in pin_steps and mail not in downloads:
            _count(counts, _act(mail, now))
    return counts


def _url(mail: Mail) -> str:
    return one_time_urls.opened(bytes(mail.url_sealed), mail.message_id)


def _count(counts: dict[str, int], matched: bool) -> None:
    counts["matched" if matched else "waiting"] += 1


def _follow(mails: list[Mail], fetch: Callable[[str], object]) -> Iterator[tuple[Mail, object]]:
    """Each mail with what its URL answered (or the exception it raised): fetched
    concurrently, handed back here as each comes in, so that it is recorded at once (a file
    fetched is the only copy: its URL works once)."""
    if not mails:
        return

    def outcome(url: str) -> object:
        try:
            return fetch(url)
        except (UpstreamRefused, UpstreamUnavailable) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(FETCHERS, len(mails))) as pool:
        futures = {pool.submit(outcome, _url(mail)): mail for mail in mails}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _act(mail: Mail, now: datetime) -> bool:
    """A notice without a URL to follow: a revocation done, a download confirmed; or a PIN
    notice whose step was done in an earlier round, its line not known then."""
    kind = Kind[mail.kind]
    if kind == Kind.ACCESS_PIN:
        return _access_pin(mail, now, None)
    if kind == Kind.REVOKED:
        line = Line.objects.filter(
            apply_type=ApplyType.REVOKE, serial=mail.serial, state__in=OPEN
        ).first()
        if line is None:
            confirmed = Line.objects.filter(
                apply_type=ApplyType.REVOKE, serial=mail.serial, state=LineState.DONE
            ).first()
            if confirmed is not None:  # the holder's copy, or the status list came first
                _finish(mail, now, MailState.DUPLICATE, "the revocation was confirmed already")
                Mail.objects.filter(pk=mail.pk).update(line=confirmed)
                return True
            return _not_yet(mail, now, f"no revocation of serial {mail.serial} is open")
        with transaction.atomic():
            lines.set_state(line, LineState.DONE, now)
            _matched(mail, line, now)
        return True
    # COLLECTED / RENEWED: the service says the file was fetched (by this portal).
    line = Line.objects.filter(issued_serial=mail.serial).first()
    if line is None:
        return _not_yet(mail, now, f"no line has the certificate {mail.serial} yet")
    _matched(mail, line, now)
    return True


def _open_line(dn: str) -> Line | None:
    return (
        Line.objects.filter(dn=dn, state__in=OPEN, p12_sealed=b"")
        .exclude(apply_type=ApplyType.REVOKE)
        .order_by("created_at")
        .first()
    )


def _access_pin(mail: Mail, now: datetime, answer: object) -> bool:
    """The PIN step (``answer``: what its URL gave, None when it was done before), which the
    service requires before the download; its ZIP names the DN."""
    if mail.followed_at is None:
        if isinstance(answer, UpstreamRefused):
            # Taken before (a crash after the fetch): the download needs only that it was.
            _finish(mail, now, MailState.MATCHED, f"the PIN was taken before ({answer.message})")
            return True
        if isinstance(answer, UpstreamUnavailable) or not isinstance(answer, list):
            return _not_yet(mail, now, str(answer))
        pins: list[PinLine] = answer
        mail.dn = pins[0].dn if pins else mail.dn
        mail.followed_at = now
        Mail.objects.filter(pk=mail.pk).update(dn=mail.dn, followed_at=now, url_sealed=b"")
    line = _open_line(mail.dn)
    if line is None:
        return _not_yet(mail, now, f"no open application for {mail.dn}")
    with transaction.atomic():
        if line.state == LineState.SENT:  # the mail came before the upload's result page
            lines.set_state(line, LineState.ACCEPTED, now)
        _matched(mail, line, now)
    return True


def _download(mail: Mail, now: datetime, answer: object) -> bool:
    """The bulk download's ZIP (``answer``), kept on its line at once: the URL works once."""
    if isinstance(answer, UpstreamRefused):
        if answer.status == 403:  # the PIN step has not been done yet
            return _not_yet(mail, now, answer.message)
        _finish(mail, now, MailState.UNMATCHED, f"{answer.status}: {answer.message}", stop=True)
        logger.error("upki download %s refused: %s", mail.message_id, answer.message)
        return False
    if not isinstance(answer, BulkFile):
        return _not_yet(mail, now, str(answer))
    bulk = answer
    Mail.objects.filter(pk=mail.pk).update(followed_at=now, url_sealed=b"")
    with transaction.atomic():
        line = _open_line(bulk.dn)
        if line is None:
            _finish(mail, now, MailState.UNMATCHED, f"no open application for {bulk.dn}", stop=True)
            return False
        lines.set_state(
            line,
            LineState.READY,
            now,
            p12_sealed=lines.seal_p12(line, bulk.p12),
            issued_serial=bulk.serial,
        )
        _matched(mail, line, now)
        record(
            "upki.line.collected",
            obj=line,
            at=now,
            # The holder's name as the service printed it (cp932 there and back).
            data={"request": line.request_id, "serial": bulk.serial, "name": bulk.name},
        )
    return True


def _matched(mail: Mail, line: Line, now: datetime) -> None:
    Mail.objects.filter(pk=mail.pk).update(state=MailState.MATCHED, line=line, matched_at=now)


def _not_yet(mail: Mail, now: datetime, note: str) -> bool:
    note = one_time_urls.without_secrets(note)
    Mail.objects.filter(pk=mail.pk).update(tries=mail.tries + 1, note=note[:500])
    return False


def _finish(mail: Mail, now: datetime, state: str, note: str, *, stop: bool = False) -> None:
    tries = MAX_TRIES if stop else mail.tries
    note = one_time_urls.without_secrets(note)
    Mail.objects.filter(pk=mail.pk).update(
        state=state, note=note[:500], tries=tries, matched_at=now, url_sealed=b""
    )
