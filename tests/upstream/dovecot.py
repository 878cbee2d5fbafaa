"""A real IMAP server for the mail-source tests: Dovecot, started from a throw-away config
(``dovecot -c conf -F``) on free local ports, one passwd-file user with a Maildir.

As an ordinary user, Dovecot runs everything as that user (default_internal_user,
default_internal_group and default_login_user set to it, and no chroot for the login and anvil
processes: Dovecot's documented way to run without root). As root (CI),
Dovecot refuses mail processes with UID 0, so the mail user is ``nobody`` and the internal and
login users are the ``dovecot`` and ``dovenull`` accounts the Debian package makes; the
directory sits in /tmp (pytest's are 0700, which ``nobody`` cannot enter).

The plain ``imap`` listener has no TLS (``ssl`` only on the imaps listener), enough to test
``imap://``; the imaps listener uses the simulator's server certificate (127.0.0.1).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.notify.smtp import free_port
from tests.peers import require_tool

USER, PASSWORD = "portal", "imap-test-secret"


@dataclass(frozen=True)
class Dovecot:
    directory: Path
    imap_port: int
    imaps_port: int

    @property
    def maildir(self) -> Path:
        return self.directory / "home" / "Maildir"


def _users() -> tuple[str, str, str, pwd.struct_passwd]:
    """(internal user, its group, login user, the mail user's account)."""
    if os.geteuid() == 0:
        return "dovecot", "dovecot", "dovenull", pwd.getpwnam("nobody")
    me = pwd.getpwuid(os.getuid())
    return me.pw_name, grp.getgrgid(me.pw_gid).gr_name, me.pw_name, me


def _config(d: Path, imap: int, imaps: int, cert: Path, key: Path) -> str:
    internal, group, login, _ = _users()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not start: {text}")


def _wait_for_auth(port: int, log: Path) -> None:
    """The login listener is up before the auth process is: on a loaded machine the first
    logins get "[UNAVAILABLE] Temporary authentication failure". Wait until one works."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with imaplib.IMAP4("127.0.0.1", port, timeout=5) as imap:
                imap.login(USER, PASSWORD)
                imap.logout()
                return
        except (imaplib.IMAP4.error, OSError) as exc:
            if time.monotonic() > deadline:
                text = log.read_text(errors="replace") if log.exists() else "(no log)"
                raise RuntimeError(f"dovecot's logins keep failing ({exc}): {text}") from exc
            time.sleep(0.2)


@contextmanager
def running(cert: Path, key: Path) -> Iterator[Dovecot]:
    """Dovecot serving USER's Maildir; ``cert``/``key`` for the imaps listener."""
    binary = require_tool("dovecot")
    directory = Path(tempfile.mkdtemp(prefix="jitsuin-dovecot-"))
    process = None
    try:
        directory.chmod(0o755)
        *_, mail_user = _users()
        home = directory / "home"
        home.mkdir()
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
        (directory / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{home}::\n"
        )
        # Readable by Dovecot's auth process (its own user as root) whatever the umask: the
        # test run's is 077 once jitsuin.wsgi was imported (browser tests before this one).
        (directory / "passwd").chmod(0o644)
        ports = free_port(), free_port()
        conf = directory / "dovecot.conf"
        conf.write_text(_config(directory, *ports, cert, key))
        process = subprocess.Popen(  # noqa: S603
            [binary, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _wait(ports[0], process, directory / "dovecot.log")
        _wait_for_auth(ports[0], directory / "dovecot.log")
        yield Dovecot(directory, *ports)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr:
                process.stderr.close()
        shutil.rmtree(directory, ignore_errors=True)
