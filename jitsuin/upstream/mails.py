"""The service's notification mails (ISO-2022-JP, S/MIME-signed): which kind, and what the
portal needs from each (the one-time URL, the DN, the decimal serials).

Read with the standard library's ``email`` package. Checking the S/MIME signature against
the operator's certificate is the connector's job, before any of this is trusted.
"""

from __future__ import annotations

import base64
import enum
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formatdate, make_msgid

MAX_MAIL_BYTES = 100_000  # the service's mails are a few KB; Kyoto's portal caps at 100 KB


class Kind(enum.Enum):
    ACCESS_PIN = "[UPKI] アクセスPIN発行通知"
    ISSUE_ACCEPTED = "[UPKI] クライアント証明書発行受付通知"
    COLLECTED = "[UPKI] クライアント証明書取得通知"
    RENEWED = "[UPKI] クライアント証明書更新通知"
    REVOKED = "[UPKI] クライアント証明書失効完了通知"


@dataclass(frozen=True)
class Notice:
    kind: Kind
    message_id: str
    url: str = ""
    dn: str = ""
    serial: str = ""  # decimal: the certificate's (new, for a renewal; revoked, for a revocation)
    old_serial: str = ""


_URL = re.compile(r"https://[-\w.:]+/[-=%./?&\w]*")
_DASHES = r"[　 ]*-{10,}"
_DN = re.compile(
    r"【(?:対象|失効)証明書DN】\s*\n" + _DASHES + r"\n(?P<dn>.*?)\n" + _DASHES, re.DOTALL
)


def _after(label: str, text: str) -> str:
    found = re.search(r"【" + label + r"】\s*\n[　 ]*(\d+)", text)
    return found.group(1) if found else ""


def _text(mail: EmailMessage) -> str:
    """The plain-text body. ISO-2022-JP is read as its superset ISO-2022-JP-EXT: mailers
    label half-width katakana (JIS X 0201) as ISO-2022-JP too, and names carry them."""
    body = mail.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    charset = (body.get_content_charset() or "").lower()
    if charset in {"iso-2022-jp", "iso2022_jp", "csiso2022jp"}:
        raw = body.get_payload(decode=True)
        return raw.decode("iso2022_jp_ext", errors="replace") if isinstance(raw, bytes) else ""
    return str(body.get_content())


def subject_of(data: bytes) -> str:
    """The decoded Subject of a mail, whoever sent it (for the console: untrusted text), or ""
    when it has none or it cannot be read; only the head is parsed."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(data[:MAX_MAIL_BYTES])
        return " ".join(str(headers.get("Subject", "")).split())
    except (ValueError, LookupError, TypeError):
        return ""


def parse_mail(data: bytes) -> Notice | None:
    """The notice a mail carries, or None for a mail that is not one of the service's."""
    if len(data) > MAX_MAIL_BYTES:
        return None
    mail = message_from_bytes(data, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    subject = str(mail.get("Subject", "")).split(" / ")[0].strip()
    kind = next((k for k in Kind if k.value == subject), None)
    if kind is None:
        return None
    text = _text(mail).replace("\r\n", "\n")
    dn_block = _DN.search(text)
    dn = ""
    if dn_block:
        parts = [line.strip(" 　") for line in dn_block["dn"].split("\n")]
        dn = ",".join(part for part in parts if part)
    url = _URL.search(text)
    if kind is Kind.REVOKED:
        serial = _after("失効証明書シリアル番号", text)
    elif kind is Kind.RENEWED:
        serial = _after("新証明書シリアル番号", text)
    else:
        serial = _after("対象証明書シリアル番号", text)
    return Notice(
        kind=kind,
        message_id=str(mail.get("Message-ID", "")),
        url=url.group(0) if url else "",
        dn=dn,
        serial=serial,
        old_serial=_after("旧証明書のシリアル番号", text) if kind is Kind.RENEWED else "",
    )


def jis_text(text: str) -> bytes:
    """``text`` as ISO-2022-JP with half-width katakana (ISO-2022-JP-EXT, as Japanese mailers
    write names); a character neither carries (cp932's vendor extensions such as 髙 or ①)
    becomes 〓, the geta mark Japanese mail has always used for "cannot be shown"."""
    try:
        return text.encode("iso2022_jp_ext")
    except UnicodeEncodeError:
        safe = []
        for character in text:
            try:
                character.encode("iso2022_jp_ext")
                safe.append(character)
            except UnicodeEncodeError:
                safe.append("〓")
        return "".join(safe).encode("iso2022_jp_ext")


Sign = Callable[[bytes], bytes]  # the signed part's bytes -> a detached CMS signature (DER)
_TEXT_PART = b'Content-Type: text/plain; charset="ISO-2022-JP"\r\nContent-Transfer-Encoding: 7bit'
SIGNATURE_TYPE = "application/pkcs7-signature; name=smime.p7s; smime-type=signed-data"


def write_mail(
    *, kind: Kind, sender: str, to: str, body: str, english: str = "", sign: Sign | None = None
) -> bytes:
    """A notice as the service sends it: ISO-2022-JP subject and text, CRLF lines; with
    ``sign``, S/MIME multipart/signed (RFC 8551) with the signature part the service's mails
    carry. ``english`` is the subject's half after " / "."""
    message = Message()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = Header(
        kind.value + (f" / {english}" if english else ""), "iso-2022-jp"
    ).encode()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["MIME-Version"] = "1.0"
    text = jis_text(body.replace("\r\n", "\n")).replace(b"\n", b"\r\n")
    text = text if text.endswith(b"\r\n") else text + b"\r\n"
    # CRLF throughout: smtplib sends bytes as they are, and SMTP wants CRLF lines.
    crlf = compat32.clone(linesep="\r\n")
    if sign is None:
        head = message.as_bytes(policy=crlf).rstrip(b"\r\n")
        return head + b"\r\n" + _TEXT_PART + b"\r\n\r\n" + text
    # The signed part is exactly these bytes, so the MIME around it is written here.
    signed = _TEXT_PART + b"\r\n\r\n" + text
    boundary = f"----=_upki_{secrets.token_hex(12)}"
    head = message.as_bytes(policy=crlf).rstrip(b"\r\n") + (
        b'\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature";'
        + f'\r\n micalg=sha-256; boundary="{boundary}"\r\n\r\n'.encode()
    )
    signature = base64.encodebytes(sign(signed)).replace(b"\n", b"\r\n")
    delimiter = f"--{boundary}".encode()
    return (
        head
        + b"This is an S/MIME signed message\r\n\r\n"
        + delimiter + b"\r\n" + signed + b"\r\n"
        + delimiter + b"\r\nContent-Type: " + SIGNATURE_TYPE.encode()
        + b"\r\nContent-Transfer-Encoding: base64\r\n"
        + b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
        + signature + delimiter + b"--\r\n"
    )  # fmt: skip
