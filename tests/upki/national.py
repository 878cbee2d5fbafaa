"""The national service's simulator on free local ports, its mails delivered over SMTP into
the portal's Maildir, and this portal configured to use it (``JITSUIN_UPKI_*``)."""

from __future__ import annotations

import json
import mailbox
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db.models import Q
from django.utils import timezone

from jitsuin import config
from jitsuin.lifecycle import pipeline, upstream_revocations
from jitsuin.lifecycle.models import Request
from jitsuin.lifecycle.transitions import WORKABLE
from jitsuin.upki import jobs
from jitsuin.upki.models import Line, Mail
from jitsuin.upstream.mails import Kind, parse_mail
from jitsuin.upstream.simulator import config as sim_config
from tests.notify.smtp import free_port
from tests.upstream import sim

DN_SUFFIX = f"OU={sim.OU},O={sim.INSTITUTION},L=Academe,C=JP"


class IntoMaildir:
    """An SMTP server's handler that delivers every mail into one Maildir, as the portal's
    mail server would; ``copies`` delivers each mail that many times (duplicates)."""

    def __init__(self, path: Path) -> None:
        self.maildir = mailbox.Maildir(path, create=True)
        self.copies = 1
        self.delivered = 0
        self.lose: set[Kind] = set()  # notices of these kinds never arrive

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        raw = envelope.original_content or envelope.content
        notice = parse_mail(raw)
        if notice is not None and notice.kind in self.lose:
            return "250 OK"
        for _ in range(self.copies):
            self.maildir.add(raw)
        self.delivered += 1
        return "250 OK"


@dataclass
class National:
    directory: Path
    service: sim.Service
    inbox: IntoMaildir
    maildir: Path
    now: datetime

    def restart(self) -> None:
        self.service.stop()
        self.service = sim.serve_on(
            self.directory, self.service.officer_port, self.service.public_port
        )

    def tick(self, seconds: float = 61) -> datetime:
        """Time moves on: the pipeline and the exchange with the service run at the new now."""
        self.now += timedelta(seconds=seconds)
        self.work_due()
        jobs.exchange(self.now)
        upstream_revocations.follow(self.now)
        self.work_due()
        return self.now

    def work_due(self) -> None:
        """What the worker does at ``now``: the requests that are due (as its scheduled tasks
        would find them), until nothing moves."""
        for _ in range(10):
            due = Request.objects.filter(state__in=WORKABLE).filter(
                Q(not_before__isnull=True) | Q(not_before__lte=self.now)
            )
            ids = list(due.values_list("pk", flat=True))
            outcomes = [pipeline.advance(pk, worker_id="test-worker", now=self.now) for pk in ids]
            if not any(o in {"issued", "revoked", "retry", "failed", "pending"} for o in outcomes):
                return

    def report(self) -> str:
        """What the portal knows, for a test that times out."""
        mails = [(m.kind, m.state, m.note, m.tries) for m in Mail.objects.order_by("id")]
        lines = [(x.request_id, x.state, x.apply_type, x.error) for x in Line.objects.all()]
        return f"not there in time; mails {mails}; lines {lines}"

    def until(self, done: Callable[[], bool], *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, self.report()
            time.sleep(0.2)
            self.tick()


def upki_env(directory: Path, maildir: Path, officer_port: int) -> dict[str, str]:
    return {
        "JITSUIN_UPKI_URL": f"https://127.0.0.1:{officer_port}",
        "JITSUIN_UPKI_CA": str(directory / sim_config.CA_CERT_FILE),
        "JITSUIN_UPKI_CLIENT_CERT": str(directory / sim_config.OFFICER_CERT_FILE),
        "JITSUIN_UPKI_CLIENT_KEY": str(directory / sim_config.OFFICER_KEY_FILE),
        "JITSUIN_UPKI_MAILBOX": f"maildir:{maildir}",
        "JITSUIN_UPKI_DN_SUFFIX": DN_SUFFIX,
        "JITSUIN_UPKI_ADMIN_EMAIL": sim.PORTAL,
        "JITSUIN_UPKI_BATCH_INTERVAL": "30s",
        "JITSUIN_UPKI_UNCERTAIN_WAIT": "10m",
    }


@contextmanager
def running_national(tmp_path: Path, monkeypatch, **env: str) -> Iterator[National]:  # type: ignore[no-untyped-def]
    """The simulator, its mails into a Maildir, and JITSUIN_UPKI_* set for it (``env``
    changes or adds settings)."""
    directory, maildir = tmp_path / "sim", tmp_path / "Maildir"
    inbox = IntoMaildir(maildir)
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    sim.make(directory, smtp.port, issue_delay=0.3, revoke_delay=0.3)
    service = sim.serve(directory)
    for name, value in {**upki_env(directory, maildir, service.officer_port), **env}.items():
        monkeypatch.setenv(name, value)
    config.current.cache_clear()
    jobs._client.cache_clear()
    national = National(directory, service, inbox, maildir, timezone.now())
    try:
        yield national
    finally:
        national.service.stop()
        smtp.stop()
        monkeypatch.undo()
        config.current.cache_clear()
        jobs._client.cache_clear()


@pytest.fixture
def national(tmp_path, monkeypatch, ca_hierarchy) -> Iterator[National]:  # type: ignore[no-untyped-def]
    with running_national(tmp_path, monkeypatch) as running:
        yield running


def applications_for(directory: Path, dn: str) -> int:
    """How many applications for ``dn`` the simulator in ``directory`` received."""
    db = sqlite3.connect(directory / "state.sqlite3")
    try:
        rows = db.execute("SELECT fields FROM applications").fetchall()
    finally:
        db.close()
    return sum(1 for (fields,) in rows if json.loads(fields)["dn"] == dn)


def state_of(request: Request) -> str:
    request.refresh_from_db()
    return str(request.state)
