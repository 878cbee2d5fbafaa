"""The national certificate service as this portal's connector (``JITSUIN_UPKI_*``;
docs/upstream.md). Unset, none of these may be given; set, every file must be readable and
the institution's DN and addresses must be what the service takes, or the process refuses to
start naming the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from jitsuin.config.values import (
    ConfigError,
    choice,
    positive_duration,
    readable_file,
    whole_number,
)

URL = "JITSUIN_UPKI_URL"
FILES = ("JITSUIN_UPKI_CA", "JITSUIN_UPKI_CLIENT_CERT", "JITSUIN_UPKI_CLIENT_KEY")
MAILBOX = "JITSUIN_UPKI_MAILBOX"
DN_SUFFIX = "JITSUIN_UPKI_DN_SUFFIX"
ADMIN_EMAIL = "JITSUIN_UPKI_ADMIN_EMAIL"
# Every setting of this part: none may be given without the URL.
NAMES = (
    URL,
    *FILES,
    "JITSUIN_UPKI_MAIL_CA",
    MAILBOX,
    "JITSUIN_UPKI_MAILBOX_PASSWORD_FILE",
    DN_SUFFIX,
    "JITSUIN_UPKI_DN_NUMBER",
    ADMIN_EMAIL,
    "JITSUIN_UPKI_ADMIN_NAME",
    "JITSUIN_UPKI_ADMIN_DEPARTMENT",
    "JITSUIN_UPKI_BATCH_SIZE",
    "JITSUIN_UPKI_BATCH_INTERVAL",
    "JITSUIN_UPKI_POLL",
    "JITSUIN_UPKI_STATUS_INTERVAL",
    "JITSUIN_UPKI_UNCERTAIN_WAIT",
)
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class UpkiConfig:
    url: str = ""
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    mail_ca_file: Path | None = None  # who signs the service's mails (default: ca_file)
    mailbox: str = ""  # maildir:/path or imaps://user@host:993/INBOX
    mailbox_password_file: Path | None = None
    dn_suffix: str = ""  # after CN=<uid>: OU=...,O=...,L=...,C=JP
    admin_email: str = ""  # the portal's own address: the PIN mails come back here
    admin_name: str = ""
    admin_department: str = ""
    batch_size: int = 500
    batch_interval: timedelta = field(default_factory=lambda: timedelta(minutes=5))
    poll_interval: timedelta = field(default_factory=lambda: timedelta(minutes=1))
    status_interval: timedelta = field(default_factory=lambda: timedelta(minutes=30))
    # An upload whose answer never came: how long the status list and the mails have to show
    # that the service took it, before its lines go out again.
    uncertain_wait: timedelta = field(default_factory=lambda: timedelta(days=2))
    # "request": CN=<uid>,OU=No.<request id>,<suffix> (a new DN for every application, as
    # Kyoto University's portal numbers them: a revoked certificate's DN is never free again);
    # "none": CN=<uid>,<suffix> (one DN per person: the service's 212 makes it a renewal).
    dn_number: str = "request"

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> UpkiConfig:
        url = (env.get(URL) or "").strip().rstrip("/")
        files = {name: readable_file(env, name) for name in FILES}
        if not url:
            given = [name for name in NAMES[1:] if env.get(name)]
            if given:
                raise ConfigError(f"{given[0]} is set but {URL} (the national service) is not")
            return cls()
        if not re.match(r"^https://[^/\s]+$", url):
            raise ConfigError(f"{URL}: {url!r} is not https://HOST[:PORT]")
        for name, path in files.items():
            if path is None:
                raise ConfigError(
                    f"{name}: give the file (docs/upstream.md, 'Switching from the builtin CA')"
                )
        mailbox = (env.get(MAILBOX) or "").strip()
        if not re.match(r"^(maildir:/|imaps?://)", mailbox):
            raise ConfigError(
                f"{MAILBOX}: {mailbox!r} is not maildir:/PATH or imaps://USER@HOST[:PORT]/FOLDER"
            )
        suffix = (env.get(DN_SUFFIX) or "").strip()
        if "O=" not in suffix or not suffix.endswith("C=JP") or "CN=" in suffix:
            raise ConfigError(
                f"{DN_SUFFIX}: {suffix!r} must be the DN after CN=, as the service registered "
                "it (e.g. OU=情報環境機構,O=試験大学,L=Academe,C=JP)"
            )
        admin_email = (env.get(ADMIN_EMAIL) or "").strip()
        if not _PLAIN_ADDRESS.match(admin_email):
            raise ConfigError(f"{ADMIN_EMAIL}: {admin_email!r} is not a plain e-mail address")
        return cls(
            url=url,
            ca_file=files["JITSUIN_UPKI_CA"],
            client_cert=files["JITSUIN_UPKI_CLIENT_CERT"],
            client_key=files["JITSUIN_UPKI_CLIENT_KEY"],
            mail_ca_file=readable_file(env, "JITSUIN_UPKI_MAIL_CA") or files["JITSUIN_UPKI_CA"],
            mailbox=mailbox,
            mailbox_password_file=readable_file(env, "JITSUIN_UPKI_MAILBOX_PASSWORD_FILE"),
            dn_suffix=suffix,
            admin_email=admin_email,
            admin_name=(env.get("JITSUIN_UPKI_ADMIN_NAME") or "証明書発行システム").strip(),
            admin_department=(env.get("JITSUIN_UPKI_ADMIN_DEPARTMENT") or "").strip(),
            batch_size=whole_number(env, "JITSUIN_UPKI_BATCH_SIZE", 500, maximum=5000),
            batch_interval=positive_duration(env, "JITSUIN_UPKI_BATCH_INTERVAL", "5m"),
            poll_interval=positive_duration(env, "JITSUIN_UPKI_POLL", "1m"),
            status_interval=positive_duration(env, "JITSUIN_UPKI_STATUS_INTERVAL", "30m"),
            uncertain_wait=positive_duration(env, "JITSUIN_UPKI_UNCERTAIN_WAIT", "2d"),
            dn_number=choice(env, "JITSUIN_UPKI_DN_NUMBER", "request", ("request", "none")),
        )
