"""POST /api/v1/sightings (scope ``sightings:write``): a relying party reports a login.

FreeRADIUS reports each EAP-TLS login from ``post-auth`` (docs/relying-parties.md): the
client certificate's serial and issuer as it gives them (``TLS-Client-Cert-Serial``: lower-case
hex; ``TLS-Client-Cert-Issuer``: ``/C=JP/O=.../CN=...``), the NAS and whether the login was
accepted (``result``: FreeRADIUS's ``Post-Auth-Type`` says ``Reject``, so either case).

One UPDATE (or INSERT) per call and an answer at once. An unknown certificate is a 404 and
is not recorded: only jitsuin's certificates have sightings, and a token cannot fill the table
with made-up serials. Not audited one by one (see jitsuin/sightings/services.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field, field_validator

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.bodies import NoNulIn
from jitsuin.api.certificates import NOT_FOUND, REFUSALS
from jitsuin.api.schemas import ErrorOut
from jitsuin.pki.names import Serial
from jitsuin.sightings.services import AmbiguousSerial, find_certificate, record_sighting

router = Router(tags=["sightings"])


class SightingIn(NoNulIn):
    serial: str = Field(
        min_length=1,
        max_length=128,
        description="the certificate's serial in hex (colons and either case allowed), "
        "as FreeRADIUS's TLS-Client-Cert-Serial gives it",
        examples=["5f3a9c0e1d2b"],
    )
    issuer: str = Field(
        default="",
        max_length=1024,
        description="its CA: the DN as FreeRADIUS gives it (/C=JP/O=.../CN=...), as RFC 4514, "
        "or the CA's name or slug; needed only when two CAs used the serial",
        examples=["/C=JP/O=Example University/CN=Example Univ Client CA G1"],
    )
    nas_identifier: str = Field(
        default="",
        max_length=253,
        description="the access point or switch (FreeRADIUS: NAS-Identifier)",
        examples=["ap-lib-3f"],
    )
    nas_ip: str = Field(
        default="",
        max_length=45,
        description="the NAS's address (FreeRADIUS: NAS-IP-Address)",
        examples=["10.1.2.3"],
    )
    result: str = Field(
        pattern=r"^(?i:accept|reject)$",
        description="accept or reject, in either case (FreeRADIUS's Post-Auth-Type says Reject)",
        examples=["accept"],
    )

    @field_validator("serial")
    @classmethod
    def _hex(cls, value: str) -> str:
        Serial.parse(value)  # a ValueError is a 422 invalid_request
        return value


class SightingOut(Schema):
    serial: str = Field(examples=["5f3a9c0e1d2b"])
    issuer: str = Field(examples=["Example Univ Client CA G1"])
    nas: str = Field(examples=["ap-lib-3f"])
    result: Literal["accept", "reject"] = Field(examples=["accept"])
    accept_count: int = Field(examples=[12])
    reject_count: int = Field(examples=[0])
    first_seen_at: datetime = Field(examples=["2026-04-01T08:55:12+09:00"])
    last_seen_at: datetime = Field(examples=["2026-04-03T09:01:40+09:00"])


@router.post(
    "/sightings",
    auth=BearerToken("sightings:write"),
    response={200: SightingOut, 404: ErrorOut, 409: ErrorOut, **REFUSALS},
    summary="Report that a certificate was used to log in (relying parties)",
)
def report_sighting(
    request: HttpRequest,
    body: SightingIn,
) -> SightingOut:
    """Counts one login of the certificate at this NAS, by this token; answers the row. 404
    ``not_found`` for a serial jitsuin did not issue (nothing is recorded), 409
    ``ambiguous_serial`` when two CAs used it and ``issuer`` does not say which."""
    try:
        certificate = find_certificate(Serial.parse(body.serial), body.issuer.strip())
    except AmbiguousSerial as exc:
        raise ApiAccessError(
            409, "ambiguous_serial", _("Two CAs used this serial: name the issuer.")
        ) from exc
    if certificate is None:
        raise ApiAccessError(404, "not_found", NOT_FOUND)
    sighting = record_sighting(
        certificate,
        token_name=request.auth.name,  # type: ignore[attr-defined]
        nas_identifier=body.nas_identifier.strip(),
        nas_ip=body.nas_ip.strip(),
        result=body.result.lower(),
        now=timezone.now(),
    )
    return SightingOut(
        serial=certificate.serial,
        issuer=certificate.issuer.name,
        nas=sighting.nas,
        result=sighting.last_result,  # type: ignore[arg-type]
        accept_count=sighting.accept_count,
        reject_count=sighting.reject_count,
        first_seen_at=sighting.first_seen_at,
        last_seen_at=sighting.last_seen_at,
    )
