"""The service's error codes as a person reads them: its own Japanese text kept, with what the
code means in Japanese and English (docs/upstream-service-facts.md; 9xx are the
simulator's own)."""

from __future__ import annotations

MEANINGS: dict[str, tuple[str, str]] = {
    "212": (
        "同じDNの証明書がすでにあります（更新として再申請します）",
        "a certificate with this DN exists already (sent again as a renewal)",
    ),
    "371": (
        "所属（OU）が機関の許可リストにありません",
        "the department (OU) is not on the institution's allow-list",
    ),
    "901": ("申請ファイルがShift_JISではありません", "the file is not Shift_JIS"),
    "902": ("申請ファイルの列数が正しくありません", "a line does not have 15 columns"),
    "903": ("申請の項目に誤りがあります", "a field of the application is not valid"),
    "904": (
        "更新・失効する証明書のシリアル番号が有効な証明書のものではありません",
        "the serial to renew or revoke is not that of a valid certificate",
    ),
}


def explained(code: str, text: str) -> str:
    """One line for the request's error: the service's words and what they mean, ja / en."""
    ja, en = MEANINGS.get(code, ("", ""))
    said = f"{code}: {text}" if code else text
    if not ja:
        return (
            f"全国の証明書発行サービスが申請を受け付けませんでした（{said}） / "
            f"The national certificate service refused the application ({said})"
        )
    return (
        f"全国の証明書発行サービスが申請を受け付けませんでした：{ja}（{said}） / "
        f"The national certificate service refused the application: {en} ({said})"
    )
