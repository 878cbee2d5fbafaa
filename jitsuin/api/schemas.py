"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str
    message: str


class CheckIn(Schema):
    certificate: str = Field(
        description="PEM text, or base64 of a DER certificate or a PKCS#12 file",
        max_length=200_000,
    )
    pin: str | None = Field(default=None, description="the PKCS#12 PIN", max_length=200)
    lang: Literal["ja", "en"] | None = None


class VerdictOut(Schema):
    status: Literal[
        "valid",
        "switch_now",
        "revoked",
        "expired",
        "not_yet_valid",
        "issuer_revoked",
        "unknown_issuer",
    ]
    ok: bool
    action_needed: bool = Field(description="false only for valid: no deadline, nothing to do")
    stops_working_at: datetime | None = Field(
        default=None, description="switch_now: when its CA is revoked and it stops working"
    )
    message: str
    advice: str
    revoked_at: datetime | None
    reason: str
    serial_hex: str
    serial_decimal: str
    subject: str
    issuer: str
    issuer_name: str
    not_before: datetime | None
    not_after: datetime | None
    fingerprint_sha256: str
