"""What callers send to the JSON API's write calls: people and requests.

Every body refuses a NUL character anywhere (``NoNulIn``); ``BodyIn`` also refuses unknown
fields. Both are a 422 ``invalid_request``. The answers are in schemas.py.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator, model_validator

from jitsuin.access.nul import contains_nul
from jitsuin.api.schemas import ApiRevocationReason

# A request's idempotency key, as POST /requests and each item of POST /requests/batch take it.
IdempotencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the same key again returns the same request instead of a second one",
        examples=["idm-new-s2410001-2026-04-01"],
    ),
]


class NoNulIn(Schema):
    """A request body in which a NUL character anywhere is a 422 ``invalid_request``."""

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        # After validation: ninja hands "before" validators its own getter, not the dict.
        if contains_nul(self.model_dump()):
            raise ValueError("NUL characters are not accepted")
        return self


class BodyIn(NoNulIn):
    """A request body: unknown fields and NUL characters are a 422 ``invalid_request``."""

    model_config = ConfigDict(extra="forbid")


Language = Literal["ja", "en"]
UID_PATTERN = r"^[A-Za-z0-9._@+-]+$"


def _email(value: str | None) -> str | None:
    if value:  # PATCH: a missing or empty one leaves the address as it is
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("not an e-mail address") from exc
    return value


class PersonIn(BodyIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uid": "s2410001",
                    "email": "s2410001@example.ac.jp",
                    "name_ja": "山田 花子",
                    "name_en": "Hanako Yamada",
                    "affiliation": "Faculty of Science",
                    "language": "ja",
                }
            ]
        }
    )

    uid: str = Field(
        min_length=1,
        max_length=150,
        pattern=UID_PATTERN,
        description="letters, digits and . _ @ + -",
        examples=["s2410001"],
    )
    email: str = Field(min_length=3, max_length=254, examples=["s2410001@example.ac.jp"])
    name_ja: str = Field(default="", max_length=200, examples=["山田 花子"])
    name_en: str = Field(default="", max_length=200, examples=["Hanako Yamada"])
    name_kana: str = Field(
        default="",
        max_length=200,
        description="the reading, stored in katakana",
        examples=["ヤマダ ハナコ"],
    )
    affiliation: str = Field(default="", max_length=200, examples=["Faculty of Science"])
    language: Language = Field(default="ja", examples=["ja"])

    _check_email = field_validator("email")(_email)


class PersonPatch(BodyIn):
    """The fields to change; a missing or empty one is left as it is."""

    email: str | None = Field(default=None, max_length=254, examples=["hanako@example.ac.jp"])
    name_ja: str | None = Field(default=None, max_length=200, examples=["山田 花子"])
    name_en: str | None = Field(default=None, max_length=200, examples=["Hanako Yamada"])
    name_kana: str | None = Field(default=None, max_length=200, examples=["ヤマダ ハナコ"])
    affiliation: str | None = Field(default=None, max_length=200, examples=["Graduate School"])
    language: Language | None = Field(default=None, examples=["en"])

    _check_email = field_validator("email")(_email)


class DeactivateIn(BodyIn):
    reason: str = Field(
        default="", max_length=500, description="kept in the audit log", examples=["left"]
    )


class RequestIn(BodyIn):
    """An issue request (``uid``, optional ``profile`` and ``csr``) or a revoke request
    (``serial``, optional ``issuer`` and ``reason``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "issue", "uid": "s2410001", "idempotency_key": "idm-new-s2410001"},
                {
                    "kind": "revoke",
                    "serial": "5f3a9c0e1d2b",
                    "reason": "cessationOfOperation",
                    "idempotency_key": "idm-leaver-s2410001",
                },
            ]
        }
    )

    kind: Literal["issue", "revoke"] = Field(examples=["issue"])
    idempotency_key: IdempotencyKey
    uid: str | None = Field(default=None, max_length=150, examples=["s2410001"])
    profile: str | None = Field(
        default=None, max_length=60, description="issue: a profile slug", examples=["client"]
    )
    csr: str | None = Field(
        default=None,
        max_length=20_000,
        description="issue: a PKCS#10 CSR in PEM; without one the server makes the key",
        examples=[None],
    )
    serial: str | None = Field(
        default=None, max_length=200, description="revoke: the serial, hex", examples=[None]
    )
    issuer: str | None = Field(
        default=None,
        max_length=100,
        description="revoke: the CA's name or slug, when two CAs used the serial",
        examples=[None],
    )
    reason: ApiRevocationReason = Field(
        default="unspecified", description="revoke: RFC 5280 reason", examples=["unspecified"]
    )

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> RequestIn:
        if self.kind == "issue":
            if not self.uid:
                raise ValueError("an issue request needs a uid")
            if self.serial or self.issuer or self.reason != "unspecified":
                raise ValueError("serial, issuer and reason belong to a revoke request")
        else:
            if not self.serial:
                raise ValueError("a revoke request needs a serial")
            if self.uid or self.profile or self.csr:
                raise ValueError("uid, profile and csr belong to an issue request")
        return self


MAX_ISSUE_BATCH = 100  # items of POST /requests/batch: a body of at most ~2 MB of CSRs


class IssueItemIn(BodyIn):
    """One certificate of a batch: as an issue request of POST /requests, without ``kind``."""

    idempotency_key: IdempotencyKey
    uid: str = Field(max_length=150, examples=["s2410001"])
    profile: str | None = Field(
        default=None, max_length=60, description="a profile slug", examples=["client"]
    )
    csr: str | None = Field(
        default=None,
        max_length=20_000,
        description="a PKCS#10 CSR in PEM; without one the server makes the key",
        examples=[None],
    )


class IssueBatchIn(BodyIn):
    """Up to ``MAX_ISSUE_BATCH`` issue requests, made together."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"uid": "s2410001", "idempotency_key": "idm-new-s2410001"},
                        {"uid": "s2410002", "idempotency_key": "idm-new-s2410002"},
                    ]
                }
            ]
        }
    )

    items: list[IssueItemIn] = Field(min_length=1, max_length=MAX_ISSUE_BATCH)
