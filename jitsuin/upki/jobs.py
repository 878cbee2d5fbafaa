"""The worker's job ``upki.exchange`` (every minute with the national service configured):
send the batches that are due, read the mailbox, act on its mails, and read the status list
when something waits for it (else every ``JITSUIN_UPKI_STATUS_INTERVAL``). Each part fails on
its own: an unreachable mailbox does not stop the uploads."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from jitsuin.config import current
from jitsuin.config.upki import UpkiConfig
from jitsuin.upki import batches, mail_intake, reconcile
from jitsuin.upki.models import Line, LineState
from jitsuin.upstream.client import OfficerClient, UpstreamUnavailable, officer_context
from jitsuin.upstream.mailbox import MailSource, open_source

logger = logging.getLogger("jitsuin.upki")
# A collected file stays sealed on its line this long after the request took it.
KEEP_COLLECTED = timedelta(days=1)
_last_status_list: dict[str, datetime] = {}


@cache
def _client(url: str, ca: Path, cert: Path, key: Path) -> OfficerClient:
    return OfficerClient(url, officer_context(ca, cert, key))


def client(config: UpkiConfig) -> OfficerClient:
    assert config.ca_file and config.client_cert and config.client_key
    return _client(config.url, config.ca_file, config.client_cert, config.client_key)


def mailbox(config: UpkiConfig) -> MailSource:
    return open_source(config.mailbox, password_file=config.mailbox_password_file)


def exchange(now: datetime) -> dict[str, object]:
    """One round with the national service; returns what each part did."""
    config = current().upki
    if not config.enabled:
        return {}
    officer = client(config)
    done: dict[str, object] = {}
    try:
        done["batches"] = [(b.pk, str(b.state)) for b in batches.send_due(officer, now)]
    except UpstreamUnavailable as exc:  # raised before a batch was recorded
        logger.warning("upki: no batch sent: %s", exc)
    try:
        assert config.mail_ca_file is not None  # checked with the settings
        done["mails"] = mail_intake.read_mailbox(mailbox(config), config.mail_ca_file, now)
    except (OSError, ValueError) as exc:
        logger.warning("upki: mailbox %s not read: %s", config.mailbox, exc)
    done["matched"] = mail_intake.match_waiting(officer.context, now)
    last = _last_status_list.get(config.url)
    # At once when something waits for it; else every JITSUIN_UPKI_STATUS_INTERVAL (what the
    # service revoked without this portal, and revocations whose mail went missing, show there).
    if reconcile.work_waiting(now) or last is None or now - last >= config.status_interval:
        try:
            done["status_list"] = reconcile.reconcile(officer.status_list(), now)
            _last_status_list[config.url] = now
        except UpstreamUnavailable as exc:
            logger.warning("upki: status list not read: %s", exc)
    done["forgotten"] = forget_collected(now)
    return done


def forget_collected(now: datetime) -> int:
    """Files handed to their requests a day ago: their sealed copies go."""
    return (
        Line.objects.filter(state=LineState.DONE, finished_at__lt=now - KEEP_COLLECTED)
        .exclude(p12_sealed=b"")
        .update(p12_sealed=b"", pin_sealed=b"")
    )
