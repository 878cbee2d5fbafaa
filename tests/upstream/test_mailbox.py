"""Reading the service's mails: a real Maildir in a temporary directory, and a real IMAP
server (Dovecot, tests/upstream/dovecot.py): unread oldest first, an oversized mail as b"",
a mail done is never unread again; the source specs."""

from __future__ import annotations

import imaplib
import mailbox
import os
import ssl
import time
from pathlib import Path

import pytest

from jitsuin.upstream.mailbox import ImapSource, MaildirSource, open_source
from jitsuin.upstream.mails import MAX_MAIL_BYTES
from jitsuin.upstream.simulator import config
from tests.upstream import dovecot
from tests.upstream.sim import make


def _mail(number: int, size: int = 0) -> bytes:
    body = b"x" * size if size else f"mail {number}".encode()
    return f"From: ca-support@example.jp\r\nSubject: {number}\r\n\r\n".encode() + body + b"\r\n"


def _maildir(path: Path, count: int) -> tuple[mailbox.Maildir, list[str]]:
    box = mailbox.Maildir(path, create=True)
    keys = []
    for number in range(count):
        key = box.add(mailbox.MaildirMessage(_mail(number)))
        file = next((path / "new").glob(key + "*"))
        os.utime(file, (time.time() - 100 + number, time.time() - 100 + number))
        keys.append(key)
    return box, keys


def test_a_maildir_hands_out_new_mails_oldest_first_until_done(tmp_path) -> None:
    _, keys = _maildir(tmp_path / "Maildir", 3)
    source = MaildirSource(tmp_path / "Maildir")
    assert [key for key, _ in source.unread(2)] == keys[:2]
    (key, raw), *_ = source.unread(10)
    assert (key, raw) == (keys[0], _mail(0).replace(b"\r\n", b"\n"))  # as stdlib stored it
    source.done(keys[0])
    source.done(keys[0])  # twice is harmless
    assert [key for key, _ in source.unread(10)] == keys[1:]
    (moved,) = (tmp_path / "Maildir" / "cur").iterdir()
    assert moved.name == f"{keys[0]}:2,S" and not list(
        (tmp_path / "Maildir" / "new").glob(keys[0] + "*")
    )
    with pytest.raises(KeyError):
        source.done("no-such-mail")


def test_a_mail_a_reader_moved_to_cur_unseen_is_still_unread(tmp_path) -> None:
    box, keys = _maildir(tmp_path / "Maildir", 1)
    message = box.get_message(keys[0])
    message.set_subdir("cur")
    message.add_flag("F")
    box[keys[0]] = message
    source = MaildirSource(tmp_path / "Maildir")
    assert [key for key, _ in source.unread(5)] == keys
    source.done(keys[0])
    assert source.unread(5) == []
    assert [p.name for p in (tmp_path / "Maildir" / "cur").iterdir()] == [f"{keys[0]}:2,FS"]


def test_an_oversized_mail_comes_back_empty_to_be_recorded_and_skipped(tmp_path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    big = box.add(_mail(0, size=MAX_MAIL_BYTES))
    source = MaildirSource(tmp_path / "Maildir")
    assert source.unread(5) == [(big, b"")]
    source.done(big)
    assert source.unread(5) == []


def test_the_source_specs(tmp_path) -> None:
    mailbox.Maildir(tmp_path / "Maildir", create=True)
    assert isinstance(open_source(f"maildir:{tmp_path}/Maildir"), MaildirSource)
    (tmp_path / "password").write_text("s3cret\n")
    imap = open_source(
        "imaps://pki%40u@imap.example.ac.jp/Upki%20Mail", password_file=tmp_path / "password"
    )
    assert isinstance(imap, ImapSource)
    assert (imap.host, imap.port, imap.user, imap.folder) == (
        "imap.example.ac.jp",
        993,
        "pki@u",
        "Upki Mail",
    )
    assert "s3cret" not in repr(imap)
    for spec, complaint in [
        ("maildir:relative/Maildir", "absolute"),
        (f"maildir:{tmp_path}", "not a Maildir"),
        ("pop3://u@host/INBOX", "unknown mail source"),
        ("/var/mail/portal", "unknown mail source"),
        ("imaps://u:pw@host/INBOX", "password_file"),
        ("imaps://host/INBOX", "user and host"),
    ]:
        with pytest.raises(ValueError, match=complaint):
            open_source(spec, password_file=tmp_path / "password")
    with pytest.raises(ValueError, match="password_file"):
        open_source("imaps://u@host/INBOX")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sim = tmp_path_factory.mktemp("tls") / "sim"
    make(sim, 9)  # its CA and server certificate (127.0.0.1) serve the imaps listener
    with dovecot.running(sim / config.SERVER_CERT_FILE, sim / config.SERVER_KEY_FILE) as running:
        yield running, ssl.create_default_context(cafile=str(sim / config.CA_CERT_FILE))


def _folder(server, name: str, mails: list[tuple[bytes, str]]) -> imaplib.IMAP4:
    running, _ = server
    imap = imaplib.IMAP4("127.0.0.1", running.imap_port, timeout=5)
    imap.login(dovecot.USER, dovecot.PASSWORD)
    assert imap.create(name)[0] == "OK"
    for raw, flags in mails:
        assert imap.append(name, flags or None, None, raw)[0] == "OK"
    assert imap.select(name)[0] == "OK"
    return imap


def _flags(imap: imaplib.IMAP4) -> list[bytes]:
    imap.noop()
    status, data = imap.fetch("1:*", "(FLAGS)")
    assert status == "OK"
    return [item for item in data if isinstance(item, bytes)]


@pytest.mark.peers
def test_imap_unseen_mails_by_uid_oldest_first_until_done(server, tmp_path) -> None:
    running, _ = server
    check = _folder(server, "Plain", [(_mail(1), ""), (_mail(2), r"(\Seen)"), (_mail(3), "")])
    (tmp_path / "password").write_text(dovecot.PASSWORD + "\n")
    source = open_source(
        f"imap://{dovecot.USER}@127.0.0.1:{running.imap_port}/Plain",
        password_file=tmp_path / "password",
    )
    try:
        unread = source.unread(10)
        assert [raw for _, raw in unread] == [_mail(1), _mail(3)]
        assert source.unread(1) == unread[:1]
        assert not any(b"\\Seen" in flags for flags in _flags(check)[::2])  # read with PEEK
        source.done(unread[0][0])
        assert source.unread(10) == unread[1:]
        assert b"\\Seen" in _flags(check)[0]
        with pytest.raises(KeyError):
            source.done("1:" + unread[1][0].split(":")[1])  # another UIDVALIDITY
    finally:
        assert isinstance(source, ImapSource)
        source.close()
        check.logout()


@pytest.mark.peers
def test_imaps_with_the_servers_ca_and_an_oversized_mail(server, tmp_path) -> None:
    running, trusted = server
    check = _folder(server, "Tls", [(_mail(1, size=MAX_MAIL_BYTES), ""), (_mail(2), "")])
    check.logout()
    source = ImapSource(
        "127.0.0.1", running.imaps_port, dovecot.USER, dovecot.PASSWORD, "Tls", trusted, timeout=5
    )
    try:
        (big, empty), (key, raw) = source.unread(10)
        assert (empty, raw) == (b"", _mail(2))
        source.done(big)
        assert source.unread(10) == [(key, raw)]
    finally:
        source.close()
    untrusted = ImapSource(
        "127.0.0.1",
        running.imaps_port,
        dovecot.USER,
        dovecot.PASSWORD,
        "Tls",
        ssl.create_default_context(),
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusted.unread(1)


@pytest.mark.peers
def test_imap_with_a_wrong_password_or_folder_fails_loudly(server) -> None:
    running, _ = server
    missing = ImapSource(
        "127.0.0.1", running.imap_port, dovecot.USER, dovecot.PASSWORD, "Nowhere", tls=False
    )
    with pytest.raises(imaplib.IMAP4.error):
        missing.unread(1)
    # last: Dovecot slows the next login from this address after a failed one
    wrong = ImapSource("127.0.0.1", running.imap_port, dovecot.USER, "wrong", tls=False, timeout=5)
    with pytest.raises(imaplib.IMAP4.error):
        wrong.unread(1)
