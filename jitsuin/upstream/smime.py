"""Is a mail the service's? Its S/MIME signature (multipart/signed), checked by the
``openssl cms -verify`` command against the CA the operator configured, before anything in it
(a one-time URL, a serial) is believed. No CMS is parsed here: OpenSSL does it."""

from __future__ import annotations

import shutil
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

from jitsuin.upstream.mails import MAX_MAIL_BYTES

SIGNATURE_PROTOCOLS = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
TIMEOUT_SECONDS = 20.0


class MailNotTrusted(Exception):
    """The mail is not signed, or its signature does not verify under the configured CA."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _signed_layout(raw: bytes) -> None:
    """multipart/signed with an S/MIME signature: ``cms -verify`` alone would also take an
    opaque signed-data mail, which is not how the service sends."""
    mail = message_from_bytes(raw, policy=policy.compat32)
    if mail.get_content_type() != "multipart/signed":
        raise MailNotTrusted(f"the mail is {mail.get_content_type()}, not multipart/signed")
    protocol = str(mail.get_param("protocol") or "").lower()
    if protocol not in SIGNATURE_PROTOCOLS:
        raise MailNotTrusted(f"the mail's signature protocol is {protocol or 'missing'}")
    parts = mail.get_payload()
    if not isinstance(parts, list) or len(parts) != 2:
        raise MailNotTrusted("a multipart/signed mail has two parts: the content and its signature")


def verify_signed_mail(raw: bytes, ca_file: Path) -> None:
    """Return if ``raw`` is multipart/signed and its signature verifies, signer certificate
    chained to ``ca_file`` (OpenSSL's S/MIME signing checks: validity now, key usage);
    raise ``MailNotTrusted(reason)`` otherwise. The mail goes to OpenSSL on stdin."""
    if len(raw) > MAX_MAIL_BYTES:
        raise MailNotTrusted(f"a mail of {len(raw)} bytes is not the service's")
    if not ca_file.is_file():
        raise FileNotFoundError(f"the CA file {ca_file} does not exist")
    _signed_layout(raw)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to check the service's mails")
    try:
        checked = subprocess.run(  # noqa: S603 (fixed arguments, the mail on stdin)
            [openssl, "cms", "-verify", "-inform", "SMIME", "-CAfile", str(ca_file)],
            input=raw,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MailNotTrusted("openssl took too long to check the signature") from exc
    if checked.returncode != 0:
        reason = checked.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise MailNotTrusted("the signature does not verify: " + " / ".join(reason[:3]))
