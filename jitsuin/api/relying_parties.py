"""POST /api/v1/relying-parties/report (scope ``relying-party``): an agent says what it loaded.

``jitsuin relying-party sync --report-token-file`` calls it after every pass: the host's name,
whether the pass worked (and the failure line if not), and the CRLs in its CA directory. The
console lists relying parties and turns one red when it falls behind
(jitsuin/authorities/publishing/relying_parties.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import Field

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.bodies import BodyIn
from jitsuin.api.certificates import REFUSALS
from jitsuin.api.schemas import ErrorOut
from jitsuin.authorities.publishing import relying_parties as parties

router = Router(tags=["relying parties"])


class LoadedCrlIn(BodyIn):
    issuer: str = Field(
        max_length=1024,
        description="the CRL's issuer, RFC 4514",
        examples=["CN=Example Univ Client CA G2,O=Example University,C=JP"],
    )
    authority_key_id: str = Field(
        default="",
        max_length=128,
        pattern=r"^[0-9a-fA-F]*$",
        description="the CRL's authorityKeyIdentifier in hex (matches the CA's key)",
        examples=["3a9f0c..."],
    )
    number: str = Field(
        pattern=r"^[0-9]{1,50}$", description="the CRL number, in decimal", examples=["42"]
    )
    this_update: datetime
    next_update: datetime | None = None


class ReportIn(BodyIn):
    name: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="the host, as the agent's --name says (default: its FQDN)",
        examples=["radius1.example.ac.jp"],
    )
    ok: bool = Field(description="the pass worked (false: it kept the last good set)")
    error: str = Field(default="", max_length=1000, description="the failure line, if any")
    software: str = Field(default="", max_length=100, examples=["jitsuin 0.1.0"])
    crls: list[LoadedCrlIn] = Field(
        default_factory=list,
        max_length=parties.MAX_CRLS,
        description="every CRL the host's CA directory holds now",
    )


class CrlStateOut(Schema):
    authority: str = Field(examples=["Example Univ Client CA G2"])
    loaded: str | None = Field(description="the CRL number the host holds", examples=["41"])
    published: str = Field(description="the newest CRL number jitsuin published", examples=["42"])
    behind: bool = Field(examples=[False])


class ReportOut(Schema):
    name: str = Field(examples=["radius1.example.ac.jp"])
    status: Literal["current", "behind"] = Field(examples=["current"])
    problems: list[str] = Field(
        description="why it is behind (empty when current)",
        examples=[["holds CRL 41 of Example Univ Client CA G2; 42 was published at ..."]],
    )
    crls: list[CrlStateOut] = Field(
        examples=[
            [
                {
                    "authority": "Example Univ Client CA G2",
                    "loaded": "42",
                    "published": "42",
                    "behind": False,
                }
            ]
        ]
    )
    first_report_at: datetime = Field(examples=["2026-12-01T09:00:00+09:00"])
    last_success_at: datetime | None = Field(examples=["2026-12-04T10:02:00+09:00"])


@router.post(
    "/relying-parties/report",
    auth=BearerToken("relying-party"),
    response={200: ReportOut, 409: ErrorOut, **REFUSALS},
    summary="Report what a relying party's CA directory holds (the agent)",
)
def report(request: HttpRequest, body: ReportIn) -> ReportOut:
    """Keeps the host's report and answers whether jitsuin thinks it is current. 409
    ``too_many_relying_parties`` when the token already reports for 500 hosts."""
    now = timezone.now()
    crls = tuple(
        parties.ReportedCrl(
            issuer=c.issuer,
            authority_key_id=c.authority_key_id.lower(),
            number=int(c.number),
            this_update=c.this_update,
            next_update=c.next_update,
        )
        for c in body.crls
    )
    reported = parties.Report(body.name, body.ok, body.error, body.software, crls)
    try:
        party = parties.record_report(request.auth.name, reported, now=now)  # type: ignore[attr-defined]
    except parties.TooManyRelyingParties as exc:
        raise ApiAccessError(
            409,
            "too_many_relying_parties",
            _("This token already reports for %(count)s hosts.") % {"count": parties.MAX_PER_TOKEN},
        ) from exc
    state = parties.state_of(party, parties.Published.now(), now=now)
    return ReportOut(
        name=party.name,
        status="current" if state.ok else "behind",
        problems=[p.text for p in state.problems],
        crls=[
            CrlStateOut(
                authority=c.authority.name,
                loaded=str(c.loaded.number) if c.loaded else None,
                published=str(c.published.number),
                behind=c.behind,
            )
            for c in state.crls
        ],
        first_report_at=party.first_report_at,
        last_success_at=party.last_success_at,
    )
