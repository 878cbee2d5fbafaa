"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    """A refusal: a stable code for scripts, a message in the caller's language."""

    code: str = Field(examples=["unauthenticated"])
    message: str = Field(
        examples=["This call needs a valid API token: send it as Authorization: Bearer TOKEN."]
    )


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


EXAMPLE_TIME = "2026-04-01T09:00:00+09:00"


class PersonOut(Schema):
    uid: str = Field(examples=["s2410001"])
    email: str = Field(examples=["s2410001@example.ac.jp"])
    name_ja: str = Field(examples=["山田 花子"])
    name_en: str = Field(examples=["Hanako Yamada"])
    affiliation: str = Field(examples=["Faculty of Science"])
    language: str = Field(examples=["ja"])
    active: bool = Field(description="false once the person has left", examples=[True])
    created_at: datetime = Field(examples=[EXAMPLE_TIME])


class PeoplePage(Schema):
    items: list[PersonOut]
    next: str | None = Field(
        description="the URL of the next page, or null on the last one",
        examples=["/api/v1/people?limit=50&cursor=eyJrIjoicGVvcGxlIiwiYSI6NTB9:1t..."],
    )


CertificateState = Literal["valid", "expired", "revoked"]


class CertificateOut(Schema):
    serial: str = Field(description="hex, lower case", examples=["5f3a9c0e1d2b"])
    serial_decimal: str = Field(examples=["104809485475115"])
    uid: str = Field(description="the holder's uid", examples=["s2410001"])
    issuer: str = Field(description="the issuing CA's name", examples=["Issuing CA G1"])
    profile: str = Field(examples=["default"])
    subject: str = Field(examples=["CN=Hanako Yamada,UID=s2410001,O=Example University"])
    state: CertificateState = Field(examples=["valid"])
    not_before: datetime = Field(examples=[EXAMPLE_TIME])
    not_after: datetime = Field(examples=["2028-04-01T09:00:00+09:00"])
    revoked_at: datetime | None = Field(examples=[None])
    revocation_reason: str = Field(description="RFC 5280 name, when revoked", examples=[""])
    fingerprint_sha256: str = Field(examples=["3b1f...e9"])
    last_seen_at: datetime | None = Field(
        description="the latest OCSP query about it", examples=[None]
    )


class CertificatesPage(Schema):
    items: list[CertificateOut]
    next: str | None = Field(
        description="the URL of the next page, or null on the last one", examples=[None]
    )


class PickupOut(Schema):
    """Where a download stands. Never the key, the PKCS#12 file or its PIN."""

    id: int = Field(examples=[42])
    uid: str = Field(examples=["s2410001"])
    certificate_serial: str = Field(examples=["5f3a9c0e1d2b"])
    state: Literal["ready", "collected", "destroyed"] = Field(examples=["ready"])
    expires_at: datetime = Field(examples=["2026-04-15T09:00:00+09:00"])
    download_count: int = Field(examples=[0])
    first_downloaded_at: datetime | None = Field(examples=[None])
    last_downloaded_at: datetime | None = Field(examples=[None])
    destroyed_at: datetime | None = Field(examples=[None])


ApiRevocationReason = Literal[
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
]


class RevokeIn(Schema):
    reason: ApiRevocationReason = Field(
        default="unspecified", description="RFC 5280 reason", examples=["cessationOfOperation"]
    )
    idempotency_key: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the same key again returns the same request instead of a second one",
        examples=["idm-leaver-2026-04-01-s2410001"],
    )


class RequestOut(Schema):
    id: int = Field(examples=[1234])
    kind: Literal["issue", "revoke"] = Field(examples=["revoke"])
    state: str = Field(
        description="queued, waiting, processing, failed, done, cancelled, ...",
        examples=["queued"],
    )
    uid: str = Field(examples=["s2410001"])
    certificate_serial: str = Field(examples=["5f3a9c0e1d2b"])
    reason: str = Field(examples=["cessationOfOperation"])
    created_at: datetime = Field(examples=[EXAMPLE_TIME])
