"""POST /api/v1/certificates/{serial}/revoke (scope ``certificates:revoke``).

The revocation goes through the same request pipeline as the portal's and the console's
(``lifecycle.services.request_revoke``): audited with ``token:<name>`` as the actor, and
idempotent by the caller's key, which is kept per token (``requests.request_key``) so that
two clients cannot collide.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from jitsuin.api.auth import BearerToken, token_actor
from jitsuin.api.certificates import REFUSALS, find_certificate
from jitsuin.api.requests import request_key, request_out
from jitsuin.api.schemas import ErrorOut, RequestOut, RevokeIn
from jitsuin.lifecycle.services import request_revoke

router = Router(tags=["certificates"])


@router.post(
    "/certificates/{serial}/revoke",
    auth=BearerToken("certificates:revoke"),
    response={202: RequestOut, 404: ErrorOut, 409: ErrorOut, **REFUSALS},
    summary="Revoke a certificate (asynchronously, idempotent by key)",
)
def revoke_certificate(
    request: HttpRequest, serial: str, body: RevokeIn, issuer: str | None = None
) -> Status[RequestOut]:
    """Queues a revocation request and answers 202 with it; the same ``idempotency_key``
    again answers the same request. 409 ``already_revoked`` / ``expired`` when there is
    nothing to revoke."""
    certificate = find_certificate(serial, (issuer or "")[:100] or None)
    actor = token_actor(request)
    revoke = request_revoke(
        certificate,
        actor=str(actor),
        idempotency_key=request_key(actor, body.idempotency_key),
        reason=body.reason,
    )
    return Status(202, request_out(revoke))
