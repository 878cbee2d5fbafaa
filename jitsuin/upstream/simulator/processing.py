"""The CA operator's side: accepted applications processed after their delay, and the
outbox sent over SMTP. A background thread; everything it does is a transaction in the store,
so a restart picks up where it stopped."""

from __future__ import annotations

import base64
import logging
import mailbox
import smtplib
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

from jitsuin.pki.clock import SystemClock
from jitsuin.pki.crl import RevokedEntry, parse_reason
from jitsuin.pki.pkcs12 import generate_pin
from jitsuin.upstream.applications import ApplyType, DownloadMethod
from jitsuin.upstream.simulator import notices
from jitsuin.upstream.simulator.authority import Authority, crl, parse_dn
from jitsuin.upstream.simulator.config import Settings
from jitsuin.upstream.simulator.intake import name_key
from jitsuin.upstream.simulator.store import Pending, Store, enqueue, token

log = logging.getLogger("jitsuin.upstream.simulator")
# The one-time URLs: per person (download method 1) and bulk (2, "UPKI-PASS" in Kyoto's portal).
PIN_PATH = "/upki-odcert/download/SPEntranceCliPin.jsp"
PIN_ALL_PATH = "/upki-odcert/download/SPEntranceCliAllPin.jsp"
P12_PATH = "/upki-odcert/download/SPEntranceCli.jsp"
P12_ALL_PATH = "/upki-odcert/download/SPEntranceCliAll.jsp"
# RFC 5280 reason codes by number (column 5); the service's own numbering is not public.
REASONS = {
    0: "unspecified",
    1: "keyCompromise",
    3: "affiliationChanged",
    4: "superseded",
    5: "cessationOfOperation",
}


def local_time(at: float) -> str:
    """Times in mails and lists: Japan time, ``2026/12/04 18:00``."""
    japan = datetime.fromtimestamp(at, UTC) + timedelta(hours=9)
    return japan.strftime("%Y/%m/%d %H:%M")


class Worker:
    def __init__(self, store: Store, settings: Settings, authority: Authority) -> None:
        self.store, self.settings, self.authority = store, settings, authority
        self.base_url = authority.urls.base_url.rstrip("/")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="upstream-sim-worker", daemon=True)
        self._smtp_failed_at = 0.0

    def start(self) -> None:
        self.refresh_crl()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.step(time.time())
            except Exception:  # the loop must outlive one bad row; the log says which
                log.exception("the simulator's worker failed a step")

    def step(self, now: float) -> None:
        for pending in self.store.due(now):
            try:
                if pending.apply_type is ApplyType.REVOKE:
                    self._revoke(pending, now)
                else:
                    self._prepare(pending, now)
            except Exception:  # one bad row must not stop the others; retried a minute on
                log.exception("application %s failed; retrying in a minute", pending.id)
                self.store.postpone(pending.id, now + 60)
        if now - self._smtp_failed_at >= self.settings.smtp_retry_seconds:
            self.send_mails()

    def _prepare(self, pending: Pending, now: float) -> None:
        """A certificate waiting for pickup (状態 4): the PIN, two one-time URLs, two mails."""
        application = pending.application
        bulk = application.download_method == str(int(DownloadMethod.PKCS12_BULK))
        pin = application.access_pin if bulk and application.access_pin else generate_pin()
        # Bulk: the file is the administrator's to collect (the portal), so is its notice.
        accepted_to = application.admin_email if bulk else application.user_email
        pin_token, p12_token = token(), token()
        expires = now + self.settings.url_validity_days * 86400
        old_serial = application.serial if pending.apply_type is ApplyType.RENEW else ""
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO certificates (application_id, dn, name_key, profile_id, state, "
                "old_serial, url_expires, pin, pin_token, p12_token, holder) "
                "SELECT ?, ?, ?, ?, 4, ?, ?, ?, ?, ?, fields FROM applications WHERE id = ?",
                (
                    pending.id,
                    application.dn,
                    name_key(parse_dn(application.dn)),
                    application.profile_id,
                    old_serial,
                    expires,
                    pin,
                    pin_token,
                    p12_token,
                    pending.id,
                ),
            )
            db.execute("UPDATE applications SET done = 1 WHERE id = ?", (pending.id,))
            until = local_time(expires)
            enqueue(
                db,
                application.admin_email,
                notices.access_pin(
                    self.settings,
                    self.authority.sign_mail,
                    to=application.admin_email,
                    dn=application.dn,
                    url=f"{self.base_url}{PIN_ALL_PATH if bulk else PIN_PATH}?t={pin_token}",
                    expires=until,
                ),
            )
            enqueue(
                db,
                accepted_to,
                notices.issue_accepted(
                    self.settings,
                    self.authority.sign_mail,
                    to=accepted_to,
                    name=application.user_name,
                    url=f"{self.base_url}{P12_ALL_PATH if bulk else P12_PATH}?t={p12_token}",
                    expires=until,
                ),
            )

    def _revoke(self, pending: Pending, now: float) -> None:
        """状態 7, a new CRL, the revocation-complete mail to the administrator (column 10)."""
        application = pending.application
        reason = int(application.reason) if application.reason.isdigit() else 0
        with self.store.transaction() as db:
            revoked = db.execute(
                "UPDATE certificates SET state = 7, revoked_at = ?, reason = ? "
                "WHERE serial = ? AND state IN (5, 6)",
                (now, reason, application.serial),
            ).rowcount
            db.execute("UPDATE applications SET done = 1 WHERE id = ?", (pending.id,))
            if not revoked:  # revoked meanwhile by an earlier line: nothing new to say
                return
            self._write_crl(db)
            for to in dict.fromkeys([application.admin_email, application.user_email]):
                if to:
                    enqueue(
                        db,
                        to,
                        notices.revoked(
                            self.settings,
                            self.authority.sign_mail,
                            to=to,
                            dn=application.dn,
                            serial=application.serial,
                            reason=str(reason),
                        ),
                    )

    def _write_crl(self, db: sqlite3.Connection) -> None:
        rows = db.execute(
            "SELECT serial, revoked_at, reason FROM certificates WHERE state = 7"
        ).fetchall()
        entries = [
            RevokedEntry(
                int(serial),
                datetime.fromtimestamp(at, UTC),
                parse_reason(REASONS.get(reason or 0, "unspecified")),
            )
            for serial, at, reason in rows
        ]
        number = self.store.next_crl_number(db)
        der = crl(self.authority, entries, number, SystemClock())
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('crl', ?)", (base64.b64encode(der).decode(),)
        )

    def refresh_crl(self) -> None:
        """A CRL at start (the first one, or a fresh nextUpdate after a long stop)."""
        with self.store.transaction() as db:
            self._write_crl(db)

    def current_crl(self) -> bytes:
        stored = self.store.meta("crl")
        return base64.b64decode(stored) if stored else b""

    def send_mails(self) -> None:
        """The outbox in order. A mail the server refuses for good (5xx, a bad address) is
        set aside so that it blocks no other; when the server is down, all wait."""
        pending = self.store.unsent()
        if not pending:
            return
        if self.settings.maildir:
            self._deliver_to_maildir(pending)
            return
        try:
            with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10) as smtp:
                while pending and not self._stop.is_set():
                    self._send(smtp, pending)
                    pending = self.store.unsent()
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp_failed_at = time.time()
            log.warning(
                "SMTP %s:%s: %s (retrying)", self.settings.smtp_host, self.settings.smtp_port, exc
            )

    def _deliver_to_maildir(self, pending: list[tuple[int, str, bytes]]) -> None:
        inbox = mailbox.Maildir(self.settings.maildir, create=True)
        for mail_id, _recipient, message in pending:
            inbox.add(message)
            self.store.mark_sent(mail_id, sent=True)

    def _send(self, smtp: smtplib.SMTP, pending: list[tuple[int, str, bytes]]) -> None:
        for mail_id, recipient, message in pending:
            try:
                smtp.sendmail(self.settings.sender, [recipient], message)
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPDataError,
                UnicodeEncodeError,
            ) as exc:
                if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code < 500:
                    raise
                log.warning("mail %s to %r refused for good: %s", mail_id, recipient, exc)
                self.store.mark_sent(mail_id, sent=False, given_up=True)
                continue
            self.store.mark_sent(mail_id, sent=True)
