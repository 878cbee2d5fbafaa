"""The texts of the service's notices, as the simulator writes them.

The subjects and the blocks a portal reads (the DN between dashed lines, the decimal serials,
the one-time URL) follow docs/upstream-service-facts.md; the prose around them is the
simulator's own: the real wording is not public."""

from __future__ import annotations

from jitsuin.upstream.mails import Kind, Sign, write_mail
from jitsuin.upstream.simulator.config import Settings

_DASHES = "　" + "-" * 45
_FOOTER = (
    "\n※このメールは電子証明書自動発行支援システム（シミュレータ）から自動送信されています。\n"
    "※This mail was sent by the UPKI simulator (jitsuin upstream-sim), not by the real "
    "service.\n"
)


def dn_block(label: str, dn: str) -> str:
    """The DN one RDN per line, in the application's order, between dashed lines."""
    rdns = [part.strip() for part in dn.split(",") if part.strip()]
    return f"【{label}】\n{_DASHES}\n" + "".join(f"　{rdn}\n" for rdn in rdns) + f"{_DASHES}\n"


def _serial(label: str, serial: str) -> str:
    return f"\n【{label}】\n　{serial}\n"


def access_pin(
    settings: Settings, sign: Sign | None, *, to: str, dn: str, url: str, expires: str
) -> bytes:
    body = (
        "利用管理者様\n\nクライアント証明書のアクセスPINを発行しました。\n"
        "下記のワンタイムURLからアクセスPINファイル（ZIP）を取得してください。\n\n"
        f"{url}\n\n（有効期限：{expires}）\n\n" + dn_block("対象証明書DN", dn) + _FOOTER
    )
    return write_mail(
        kind=Kind.ACCESS_PIN,
        sender=settings.sender,
        sign=sign,
        to=to,
        body=body,
        english="[UPKI] access PIN issue notification",
    )


def issue_accepted(
    settings: Settings, sign: Sign | None, *, to: str, name: str, url: str, expires: str
) -> bytes:
    body = (
        f"{name} 様\n\nクライアント証明書の発行を受け付けました。\n"
        "下記のワンタイムURLから証明書を取得してください。ワンタイムURLは、利用管理者が"
        "アクセスPINを取得した後に有効になります。\n\n"
        f"{url}\n\n（有効期限：{expires}）\n" + _FOOTER
    )
    return write_mail(
        kind=Kind.ISSUE_ACCEPTED,
        sender=settings.sender,
        sign=sign,
        to=to,
        body=body,
        english="[UPKI] client certificate issue acceptance notice",
    )


def collected(
    settings: Settings, sign: Sign | None, *, to: str, dn: str, serial: str, old_serial: str
) -> bytes:
    if old_serial:
        kind, english = Kind.RENEWED, "[UPKI] client certificate renewal notification"
        serials = _serial("新証明書シリアル番号", serial) + _serial(
            "旧証明書のシリアル番号", old_serial
        )
    else:
        kind, english = Kind.COLLECTED, "[UPKI] client certificate download notification"
        serials = _serial("対象証明書シリアル番号", serial)
    body = (
        "利用管理者様\n\n下記のクライアント証明書が取得されました。\n\n"
        + dn_block("対象証明書DN", dn)
        + serials
        + _FOOTER
    )
    return write_mail(
        kind=kind, sender=settings.sender, to=to, body=body, english=english, sign=sign
    )


def revoked(
    settings: Settings, sign: Sign | None, *, to: str, dn: str, serial: str, reason: str
) -> bytes:
    body = (
        "利用管理者様\n\n下記のクライアント証明書の失効が完了しました。\n\n"
        + dn_block("失効証明書DN", dn)
        + _serial("失効証明書シリアル番号", serial)
        + f"\n【失効理由】\n　{reason or '0'}\n"
        + _FOOTER
    )
    return write_mail(
        kind=Kind.REVOKED,
        sender=settings.sender,
        sign=sign,
        to=to,
        body=body,
        english="[UPKI] client certificate revocation completion notification",
    )
