"""The answers of the JSON API, and its small check and revoke inputs (bodies.py: the rest)."""

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
    """An issue or revoke request. Never key material: a server-made key waits for its
    holder in the portal (``pickup_id``: its status at /pickups/{id})."""

    id: int = Field(examples=[1234])
    kind: Literal["issue", "revoke"] = Field(examples=["revoke"])
    state: str = Field(
        description="queued, waiting, processing, failed, ready, collected, done, cancelled, "
        "expired",
        examples=["queued"],
    )
    uid: str = Field(examples=["s2410001"])
    profile: str = Field(examples=["client"])
    certificate_serial: str = Field(
        description="revoke: the certificate to revoke; issue: the one issued (once issued)",
        examples=["5f3a9c0e1d2b"],
    )
    replaces_serial: str = Field(
        description="issue: the certificate the new one replaces, if any", examples=[""]
    )
    reason: str = Field(description="revoke: RFC 5280 reason", examples=["cessationOfOperation"])
    with_csr: bool = Field(description="issue: from the caller's CSR", examples=[False])
    pickup_id: int | None = Field(
        description="issue with a server-made key: its one-time download, once issued",
        examples=[None],
    )
    created_at: datetime = Field(examples=[EXAMPLE_TIME])
    state_changed_at: datetime = Field(examples=[EXAMPLE_TIME])


class PersonStatusOut(Schema):
    """A person after a deactivation or reactivation, with their latest leaver."""

    uid: str = Field(examples=["s2410001"])
    active: bool = Field(examples=[False])
    leaver_state: Literal["pending", "done", "cancelled"] | None = Field(
        description="pending: certificates revoked when the grace ends; done; cancelled",
        examples=["pending"],
    )
    grace_ends_at: datetime | None = Field(
        description="when the certificates are revoked, unless reactivated before",
        examples=["2026-04-15T09:00:00+09:00"],
    )


class RequestsPage(Schema):
    items: list[RequestOut]
    next: str | None = Field(
        description="the URL of the next page, or null on the last one", examples=[None]
    )


class ProgressOut(Schema):
    """How far the members got (the console's figures), at ``at``."""

    at: datetime = Field(examples=[EXAMPLE_TIME])
    total: int = Field(description="people affected when it started", examples=[1200])
    migrated: int = Field(examples=[900])
    in_progress: int = Field(examples=[150])
    stuck: int = Field(examples=[30])
    not_started: int = Field(examples=[120])
    old_in_use: int = Field(
        description="not migrated, old certificate seen in the last 30 days", examples=[80]
    )
    percent_migrated: float = Field(examples=[75.0])


class CampaignOut(Schema):
    id: int = Field(examples=[3])
    name: str = Field(examples=["g1-to-g2"])
    state: Literal["draft", "started", "awaiting", "confirmed", "completed", "cancelled"] = Field(
        examples=["started"]
    )
    old_authorities: list[str] = Field(examples=[["Issuing CA G1"]])
    new_authority: str = Field(examples=["Issuing CA G2"])
    cutoff: datetime = Field(examples=[EXAMPLE_TIME])
    deadline: datetime = Field(examples=["2026-07-01T09:00:00+09:00"])
    started_at: datetime | None = Field(examples=[EXAMPLE_TIME])
    completed_at: datetime | None = Field(examples=[None])
    progress: ProgressOut | None = Field(description="null before it starts", examples=[None])


class CampaignsPage(Schema):
    items: list[CampaignOut]
    next: str | None = Field(
        description="the URL of the next page, or null on the last one", examples=[None]
    )


StragglerCategory = Literal["in_progress", "stuck", "not_started"]


class StragglerOut(Schema):
    """A member not migrated yet."""

    uid: str = Field(examples=["s2410001"])
    email: str = Field(examples=["s2410001@example.ac.jp"])
    affiliation: str = Field(examples=["Faculty of Science"])
    active: bool = Field(examples=[True])
    category: StragglerCategory = Field(examples=["not_started"])
    old_certificate_serial: str = Field(
        description="their newest affected certificate at the start", examples=["5f3a9c0e1d2b"]
    )
    old_last_seen_at: datetime | None = Field(
        description="the latest OCSP query about their old certificates", examples=[None]
    )


class StragglersPage(Schema):
    items: list[StragglerOut]
    next: str | None = Field(
        description="the URL of the next page, or null on the last one", examples=[None]
    )


class IssueItemOut(Schema):
    """One item's answer, in the order of the body: ``status`` 202 with ``request`` (made now,
    or the one its key or an open request already named), else the refusal in ``error``
    (404 ``not_found``, 409 ``revoke_first``, ``idempotency_key_reused``..., 422
    ``invalid_csr``), as POST /requests would answer it alone."""

    idempotency_key: str = Field(examples=["idm-new-s2410001"])
    status: int = Field(examples=[202])
    request: RequestOut | None = Field(default=None, description="with status 202", examples=[None])
    error: ErrorOut | None = Field(
        default=None,
        description="with any other status",
        examples=[{"code": "revoke_first", "message": "Request revocation of ..."}],
    )


class IssueBatchOut(Schema):
    items: list[IssueItemOut]
