"""Switchover campaigns (scope ``campaigns:read``): GET /api/v1/campaigns,
/api/v1/campaigns/{id} and /api/v1/campaigns/{id}/stragglers.

The figures are the console's and ``jitsuin campaign status``'s (``campaigns.queries``):
migrated, in progress, stuck, not started, computed at the time of the call.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from jitsuin.api.schemas import (
    CampaignOut,
    CampaignsPage,
    ErrorOut,
    ProgressOut,
    StragglerCategory,
    StragglerOut,
    StragglersPage,
)
from jitsuin.campaigns import members, queries
from jitsuin.campaigns.models import Campaign, Member

router = Router(tags=["campaigns"])
READ = BearerToken("campaigns:read")
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("new_authority").prefetch_related("old_authorities")


def _out(campaign: Campaign) -> CampaignOut:
    progress = None
    if campaign.started_at:  # as the console: no figures before the start
        figures = queries.progress(campaign, now=timezone.now())
        progress = ProgressOut(
            at=figures.at,
            total=figures.total,
            migrated=figures.migrated,
            in_progress=figures.in_progress,
            stuck=figures.stuck,
            not_started=figures.not_started,
            old_in_use=figures.old_in_use,
            percent_migrated=round(figures.percent(queries.MIGRATED), 1),
        )
    return CampaignOut(
        id=campaign.pk,
        name=campaign.name,
        state=campaign.state,  # type: ignore[arg-type]
        old_authorities=[a.name for a in campaign.old_authorities.all()],
        new_authority=campaign.new_authority.name,
        cutoff=campaign.cutoff,
        deadline=campaign.deadline,
        started_at=campaign.started_at,
        completed_at=campaign.completed_at,
        progress=progress,
    )


def _find(campaign_id: int) -> Campaign:
    found = _campaigns().filter(pk=campaign_id).first() if 0 < campaign_id <= MAX_ID else None
    if found is None:
        raise ApiAccessError(404, "not_found", _("There is no campaign with this id."))
    return found


@router.get(
    "/campaigns",
    auth=READ,
    response={200: CampaignsPage, **REFUSALS},
    summary="List switchover campaigns with their progress (by cursor)",
)
def list_campaigns(
    request: HttpRequest,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> CampaignsPage:
    """Oldest first; ``progress`` is null for a campaign not started."""
    found, after = page(
        request, _campaigns(), kind="campaigns", limit=limit, cursor=cursor, query={}
    )
    return CampaignsPage(items=[_out(c) for c in found], next=after)


@router.get(
    "/campaigns/{campaign_id}",
    auth=READ,
    response={200: CampaignOut, 404: ErrorOut, **REFUSALS},
    summary="One switchover campaign and its progress, by id",
)
def show_campaign(request: HttpRequest, campaign_id: int) -> CampaignOut:
    return _out(_find(campaign_id))


def _straggler(member: Member) -> StragglerOut:
    old = member.old_certificate
    return StragglerOut(
        uid=member.person.uid,
        email=member.person.email,
        affiliation=member.person.affiliation,
        active=member.person.active,
        category=members.member_category(member),  # type: ignore[arg-type]
        old_certificate_serial=old.serial_number.db if old is not None else "",
        old_last_seen_at=member.last_seen,  # type: ignore[attr-defined]
    )


@router.get(
    "/campaigns/{campaign_id}/stragglers",
    auth=READ,
    response={200: StragglersPage, 404: ErrorOut, **REFUSALS},
    summary="The people of a campaign not migrated yet (by cursor)",
)
def list_stragglers(
    request: HttpRequest,
    campaign_id: int,
    category: StragglerCategory | None = Query(None, description="one category"),  # noqa: B008 (ninja)
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> StragglersPage:
    """Members who hold no valid certificate from the new CA yet, in the order they joined
    (the console sorts by last sighting instead); empty before the campaign starts."""
    campaign = _find(campaign_id)
    rows = members.stragglers(campaign, now=timezone.now(), category=category)
    found, after = page(
        request,
        rows,
        kind=f"stragglers:{campaign.pk}",
        limit=limit,
        cursor=cursor,
        query={"category": category},
    )
    return StragglersPage(items=[_straggler(m) for m in found], next=after)
