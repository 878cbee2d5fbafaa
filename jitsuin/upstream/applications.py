"""Application files: 15 tab-separated columns in cp932, one application per line.

``to_tsv`` writes what the portal uploads; ``parse_tsv`` reads it back (the simulator, and
tests), each line's problem named with its line number as the service's own errors are.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields

ENCODING = "cp932"
COLUMNS = 15
MAX_DN_LENGTH = 250


class ApplyType(enum.IntEnum):
    ISSUE = 1
    RENEW = 2
    REVOKE = 3


class DownloadMethod(enum.IntEnum):
    PKCS12_EACH = 1  # one PKCS#12 per person, through their one-time URL
    PKCS12_BULK = 2  # the officer collects them all
    BROWSER = 3  # the key is made in the holder's browser


class ApplicationError(ValueError):
    """A field the service would refuse, or that cp932 cannot carry; the message names it."""


@dataclass(frozen=True)
class Application:
    """One line. ``serial`` is decimal: the old certificate's (renew) or the revoked one's."""

    dn: str
    profile_id: str = ""
    download_method: str = ""
    serial: str = ""
    reason: str = ""
    comment: str = ""
    admin_name: str = ""
    admin_department: str = ""
    admin_email: str = ""
    user_name: str = ""
    pkcs12_name: str = ""
    user_department: str = ""
    user_email: str = ""
    access_pin: str = ""

    def columns(self) -> list[str]:
        return [
            self.dn,
            self.profile_id,
            self.download_method,
            self.serial,
            self.reason,
            self.comment,
            "",
            self.admin_name,
            self.admin_department,
            self.admin_email,
            self.user_name,
            self.pkcs12_name,
            self.user_department,
            self.user_email,
            self.access_pin,
        ]


def cp932_problem(text: str) -> str | None:
    """The first character of ``text`` that cp932 cannot carry, or None."""
    for character in text:
        try:
            character.encode(ENCODING)
        except UnicodeEncodeError:
            return character
    return None


def check_field(name: str, value: str) -> None:
    """Refuse what a TSV line cannot carry: tabs, line breaks, characters outside cp932."""
    if any(c in value for c in "\t\r\n"):
        raise ApplicationError(f"{name}: tabs and line breaks cannot be sent")
    bad = cp932_problem(value)
    if bad is not None:
        raise ApplicationError(
            f"{name}: the character {bad!r} (U+{ord(bad):04X}) cannot be sent to the "
            "national service (it accepts Shift_JIS/cp932 only)"
        )


def to_tsv(applications: Iterable[Application]) -> bytes:
    lines = []
    for application in applications:
        for field in fields(Application):
            check_field(field.name, getattr(application, field.name))
        if len(application.dn) > MAX_DN_LENGTH:
            raise ApplicationError(f"dn: longer than {MAX_DN_LENGTH} characters")
        lines.append("\t".join(application.columns()))
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def parse_tsv(data: bytes) -> list[Application]:
    """The applications of an uploaded file; ApplicationError names the first bad line."""
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise ApplicationError(f"the file is not Shift_JIS/cp932 (byte {exc.start})") from exc
    applications = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != COLUMNS:
            raise ApplicationError(f"line {number}: {len(cells)} columns, {COLUMNS} expected")
        applications.append(
            Application(
                dn=cells[0],
                profile_id=cells[1],
                download_method=cells[2],
                serial=cells[3],
                reason=cells[4],
                comment=cells[5],
                admin_name=cells[7],
                admin_department=cells[8],
                admin_email=cells[9],
                user_name=cells[10],
                pkcs12_name=cells[11],
                user_department=cells[12],
                user_email=cells[13],
                access_pin=cells[14],
            )
        )
    return applications
