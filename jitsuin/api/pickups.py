"""GET /api/v1/pickups/{id}: where a download stands (scope ``certificates:read``).

Status only: the PKCS#12 files and their PIN never leave through the API.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.schemas import ErrorOut, PickupOut
from jitsuin.lifecycle.models import Pickup

router = Router(tags=["pickups"])
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
MAX_ID = 2**63 - 1


@router.get(
    "/pickups/{pickup_id}",
    auth=BearerToken("certificates:read"),
    response={200: PickupOut, 404: ErrorOut, **REFUSALS},
    summary="Where a download stands (never the key or the PIN)",
)
def show_pickup(request: HttpRequest, pickup_id: int) -> PickupOut:
    pickup = (
        Pickup.objects.select_related("certificate__person").filter(pk=pickup_id).first()
        if 0 < pickup_id <= MAX_ID
        else None
    )
    if pickup is None:
        raise ApiAccessError(404, "not_found", _("There is no pickup with this id."))
    return PickupOut(
        id=pickup.pk,
        uid=pickup.certificate.person.uid,
        certificate_serial=pickup.certificate.serial_number.db,
        state=pickup.state,  # type: ignore[arg-type]
        expires_at=pickup.expires_at,
        download_count=pickup.download_count,
        first_downloaded_at=pickup.first_downloaded_at,
        last_downloaded_at=pickup.last_downloaded_at,
        destroyed_at=pickup.destroyed_at,
    )
