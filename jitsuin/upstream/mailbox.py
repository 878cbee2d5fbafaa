"""Where the service's mails are read: a Maildir on this machine, or an IMAP folder.

A source hands out the mails not yet done, oldest first, and forgets a mail once the caller
says it is recorded (``done``): a crash between the two reads the mail again, never loses it.
A mail bigger than ``mails.MAX_MAIL_BYTES`` comes back as ``b""`` (read no further than that),
so the caller can record and skip it rather than meet it again on every run.
"""

from __future__ import annotations

import imaplib
import mailbox
import os
import re
import ssl
import urllib.parse
from pathlib import Path
from typing import Protocol

from jitsuin.upstream.mails import MAX_MAIL_BYTES

__all__ = ["ImapSource", "MailSource", "MaildirSource", "open_source"]

SEEN = "S"  # the Maildir flag of a mail that was read
IMAP_TIMEOUT = 30.0


class MailSource(Protocol):
    def unread(self, limit: int) -> list[tuple[str, bytes]]:
        """Up to ``limit`` (key, raw mail) not yet done, oldest first; ``b""`` for a mail
        bigger than ``mails.MAX_MAIL_BYTES``."""
        ...

    def done(self, key: str) -> None:
        """The mail was recorded: ``unread`` never returns it again."""
        ...


class MaildirSource:
    """A Maildir (``new/``, ``cur/``, ``tmp/``): unread are the mails in ``new/`` and those in
    ``cur/`` without the S flag; done moves a mail to ``cur/`` with S, as a mail reader would."""

    def __init__(self, path: Path) -> None:
        if not all((path / sub).is_dir() for sub in ("new", "cur", "tmp")):
            raise ValueError(f"{path} is not a Maildir (new/, cur/ and tmp/)")
        self.path = path
        self._box = mailbox.Maildir(path, factory=None, create=False)
        # Where unread() found each mail it returned: done() needs no new listing (a Maildir
        # of thousands of read mails made that quadratic).
        self._returned: dict[str, tuple[Path, str]] = {}

    def _files(self) -> dict[str, tuple[Path, str]]:
        """Each mail's key: its file and its flags (Maildir's ``key:2,FLAGS`` names)."""
        found: dict[str, tuple[Path, str]] = {}
        for sub in ("new", "cur"):
            with os.scandir(self.path / sub) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file():
                        continue
                    key, _, info = entry.name.partition(self._box.colon)
                    flags = info[2:] if info.startswith("2,") else ""
                    found[key] = (Path(entry.path), flags)
        return found

    def unread(self, limit: int) -> list[tuple[str, bytes]]:
        waiting = []
        for key, (path, flags) in self._files().items():
            if SEEN in flags:
                continue
            try:
                waiting.append((path.stat().st_mtime, key, path, flags))
            except FileNotFoundError:  # moved meanwhile by a mail reader: next time
                continue
        mails = []
        self._returned = {}
        for _mtime, key, path, flags in sorted(waiting)[: max(limit, 0)]:
            with path.open("rb") as handle:
                raw = handle.read(MAX_MAIL_BYTES + 1)
            mails.append((key, b"" if len(raw) > MAX_MAIL_BYTES else raw))
            self._returned[key] = (path, flags)
        return mails

    def done(self, key: str) -> None:
        found = self._returned.pop(key, None)
        if found is None or not found[0].exists():
            found = self._files().get(key)
        if found is None:
            raise KeyError(f"no mail {key!r} in {self.path}")
        path, flags = found
        if SEEN in flags and path.parent.name == "cur":
            return
        name = f"{key}{self._box.colon}2,{''.join(sorted(set(flags + SEEN)))}"
        os.rename(path, self.path / "cur" / name)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_VALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class ImapSource:
    """An IMAP folder, by UID: unread are the UNSEEN mails; done sets \\Seen. Keys are
    ``UIDVALIDITY:UID``, so a folder made anew never has the wrong mail marked. A mail is
    fetched up to ``MAX_MAIL_BYTES + 1`` bytes (a partial fetch), whatever its size."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        folder: str = "INBOX",
        ssl_context: ssl.SSLContext | None = None,
        *,
        tls: bool = True,  # False only for tests against a local server (imap://)
        timeout: float = IMAP_TIMEOUT,
    ) -> None:
        self.host, self.port, self.user, self.folder = host, port, user, folder
        self._password = password
        self._context = ssl_context
        self._tls, self._timeout = tls, timeout
        self._imap: imaplib.IMAP4 | None = None
        self._validity = ""

    def __repr__(self) -> str:
        return f"ImapSource({self.user}@{self.host}:{self.port}/{self.folder})"

    def _connected(self) -> imaplib.IMAP4:
        if self._imap is not None:
            try:
                self._imap.noop()
                return self._imap
            except (imaplib.IMAP4.error, OSError):
                self.close()
        if self._tls:
            context = self._context or ssl.create_default_context()
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self._timeout
            )
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=self._timeout)
        try:
            imap.login(self.user, self._password)
            status, _ = imap.select(_quoted(self.folder))
            if status != "OK":
                raise imaplib.IMAP4.error(f"no folder {self.folder!r}")
            _, data = imap.response("UIDVALIDITY")
            self._validity = next((d.decode() for d in data if isinstance(d, bytes)), "")
        except BaseException:
            imap.shutdown()
            raise
        self._imap = imap
        return imap

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is not None:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def unread(self, limit: int) -> list[tuple[str, bytes]]:
        imap = self._connected()
        status, data = imap.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID SEARCH UNSEEN: {data!r}")
        uids = sorted(int(uid) for uid in b" ".join(d or b"" for d in data).split())
        return [
            (f"{self._validity}:{uid}", self._fetch(imap, uid)) for uid in uids[: max(limit, 0)]
        ]

    def _fetch(self, imap: imaplib.IMAP4, uid: int) -> bytes:
        status, data = imap.uid(
            "FETCH", str(uid), f"(RFC822.SIZE BODY.PEEK[]<0.{MAX_MAIL_BYTES + 1}>)"
        )
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid}: {data!r}")
        parts = [d for d in data if isinstance(d, tuple)]
        if not parts:
            raise imaplib.IMAP4.error(f"UID FETCH {uid} answered no message")
        head, raw = parts[0]
        size = _SIZE.search(head)
        if (size and int(size.group(1)) > MAX_MAIL_BYTES) or len(raw) > MAX_MAIL_BYTES:
            return b""
        return bytes(raw)

    def done(self, key: str) -> None:
        validity, _, uid = key.partition(":")
        imap = self._connected()
        if validity != self._validity or not uid.isdigit():
            raise KeyError(f"{key!r} is not a mail of this folder (UIDVALIDITY {self._validity})")
        status, data = imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID STORE {uid}: {data!r}")


def _password(password_file: Path | None) -> str:
    if password_file is None:
        raise ValueError("an IMAP source needs password_file")
    return password_file.read_text(encoding="utf-8").rstrip("\r\n")


def open_source(
    spec: str,
    *,
    password_file: Path | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> MailSource:
    """``maildir:/path/to/Maildir``, or ``imaps://user@host:993/INBOX`` (the password from
    ``password_file``, never in the spec; ``imap://`` without TLS is for tests only)."""
    if spec.startswith("maildir:"):
        path = spec.removeprefix("maildir:")
        if not path.startswith("/"):
            raise ValueError(f"a Maildir source is maildir:/absolute/path, not {spec!r}")
        return MaildirSource(Path(path))
    parts = urllib.parse.urlsplit(spec)
    if parts.scheme not in {"imaps", "imap"}:
        raise ValueError(
            f"unknown mail source {spec.split(':')[0]!r}: use maildir:/path or "
            "imaps://user@host:993/INBOX"
        )
    if parts.password is not None:
        raise ValueError("put the IMAP password in password_file, not in the URL")
    if not parts.username or not parts.hostname:
        raise ValueError("an IMAP source names its user and host: imaps://user@host:993/INBOX")
    folder = urllib.parse.unquote(parts.path.lstrip("/")) or "INBOX"
    tls = parts.scheme == "imaps"
    return ImapSource(
        parts.hostname,
        parts.port or (993 if tls else 143),
        urllib.parse.unquote(parts.username),
        _password(password_file),
        folder,
        ssl_context,
        tls=tls,
    )
