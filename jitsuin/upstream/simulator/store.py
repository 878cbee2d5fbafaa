"""The simulator's state in SQLite (a file in its directory): applications waiting for
their delay, certificates with their one-time URLs, the mail outbox, the CRL number. Each
change is one transaction, so a restart loses nothing and sends nothing twice."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jitsuin.upstream.applications import Application, ApplyType

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, seq INTEGER NOT NULL,
    apply_type INTEGER NOT NULL, name_key TEXT NOT NULL, fields TEXT NOT NULL,
    due REAL NOT NULL, done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS certificates (
    id INTEGER PRIMARY KEY, application_id INTEGER NOT NULL, dn TEXT NOT NULL,
    name_key TEXT NOT NULL, profile_id TEXT NOT NULL, state INTEGER NOT NULL,
    serial TEXT NOT NULL DEFAULT '', old_serial TEXT NOT NULL DEFAULT '',
    expires TEXT NOT NULL DEFAULT '', url_expires REAL NOT NULL,
    pin TEXT NOT NULL, pin_token TEXT UNIQUE NOT NULL, pin_taken INTEGER NOT NULL DEFAULT 0,
    p12_token TEXT UNIQUE NOT NULL, p12 BLOB, collected_at REAL, broken INTEGER DEFAULT 0,
    revoked_at REAL, reason INTEGER, holder TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_due ON applications (done, due);
CREATE INDEX IF NOT EXISTS applications_name ON applications (name_key);
CREATE INDEX IF NOT EXISTS certificates_name ON certificates (name_key);
CREATE INDEX IF NOT EXISTS certificates_serial ON certificates (serial);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, message BLOB NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Pending:
    id: int
    apply_type: ApplyType
    application: Application


@dataclass(frozen=True)
class Certificate:
    id: int
    application_id: int
    dn: str
    profile_id: str
    state: int
    serial: str
    old_serial: str
    expires: str
    url_expires: float
    pin: str
    pin_token: str
    pin_taken: bool
    p12_token: str
    p12: bytes | None
    collected_at: float | None
    broken: bool
    revoked_at: float | None
    reason: int | None
    holder: Application


def _certificate(row: sqlite3.Row) -> Certificate:
    values = dict(row)
    del values["name_key"]
    values["holder"] = Application(**json.loads(values["holder"]))
    values["pin_taken"], values["broken"] = bool(values["pin_taken"]), bool(values["broken"])
    return Certificate(**values)


def token() -> str:
    return secrets.token_urlsafe(24)


class Store:
    """One connection, one lock: the simulator's load is a few requests a second."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._generating: dict[int, threading.Lock] = {}  # keys being made, per certificate
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL: a crash of the process loses no commit (only a power cut could).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def generation_lock(self, certificate_id: int) -> threading.Lock:
        """Held while a certificate's key is made: a second click waits on it (or breaks)."""
        with self._lock:
            return self._generating.setdefault(certificate_id, threading.Lock())

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args))

    def name_taken(self, name_key: str) -> bool:
        """A certificate of this CN and OU ever made (any state; a broken issuance is none),
        or an issue on its way."""
        return bool(
            self._rows(
                "SELECT 1 FROM certificates WHERE name_key = ? AND broken = 0 LIMIT 1", name_key
            )
            or self._rows(
                "SELECT 1 FROM applications WHERE name_key = ? AND done = 0 AND apply_type = 1",
                name_key,
            )
        )

    def by_serial(self, serial: str) -> Certificate | None:
        rows = self._rows("SELECT * FROM certificates WHERE serial = ? AND serial != ''", serial)
        return _certificate(rows[0]) if rows else None

    def by_token(self, column: str, value: str) -> Certificate | None:
        assert column in {"pin_token", "p12_token"}
        rows = self._rows(f"SELECT * FROM certificates WHERE {column} = ?", value)  # noqa: S608
        return _certificate(rows[0]) if rows else None

    def certificate(self, certificate_id: int) -> Certificate:
        return _certificate(
            self._rows("SELECT * FROM certificates WHERE id = ?", certificate_id)[0]
        )

    def all_certificates(self) -> list[Certificate]:
        return [_certificate(r) for r in self._rows("SELECT * FROM certificates ORDER BY id")]

    def accept(
        self, apply_type: ApplyType, lines: list[tuple[int, str, Application]], due: float
    ) -> int:
        """Record a file's accepted lines (seq, CN+OU key, application); its batch number."""
        with self.transaction() as db:
            batch = int(
                db.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM applications").fetchone()[0]
            )
            db.executemany(
                "INSERT INTO applications (batch, seq, apply_type, name_key, fields, due) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (batch, seq, int(apply_type), key, json.dumps(asdict(a)), due)
                    for seq, key, a in lines
                ],
            )
        return batch

    def due(self, now: float) -> list[Pending]:
        rows = self._rows(
            "SELECT id, apply_type, fields FROM applications WHERE done = 0 AND due <= ? "
            "ORDER BY id",
            now,
        )
        return [
            Pending(r["id"], ApplyType(r["apply_type"]), Application(**json.loads(r["fields"])))
            for r in rows
        ]

    def postpone(self, application_id: int, due: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE applications SET due = ? WHERE id = ?", (due, application_id))

    def next_crl_number(self, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key = 'crl_number'").fetchone()
        number = int(row[0]) + 1 if row else 1
        db.execute("INSERT OR REPLACE INTO meta VALUES ('crl_number', ?)", (str(number),))
        return number

    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", key)
        return str(rows[0][0]) if rows else None

    def unsent(self) -> list[tuple[int, str, bytes]]:
        rows = self._rows(
            "SELECT id, recipient, message FROM outbox WHERE sent = 0 ORDER BY id LIMIT 50"
        )
        return [(r["id"], r["recipient"], bytes(r["message"])) for r in rows]

    def mark_sent(self, mail_id: int, *, sent: bool, given_up: bool = False) -> None:
        """``sent`` 1: delivered; -1: refused for good (kept, never retried)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET sent = ?, attempts = attempts + 1 WHERE id = ?",
                (1 if sent else -1 if given_up else 0, mail_id),
            )


def enqueue(db: sqlite3.Connection, recipient: str, message: bytes) -> None:
    db.execute("INSERT INTO outbox (recipient, message) VALUES (?, ?)", (recipient, message))
