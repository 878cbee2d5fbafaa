"""GET /api/v1/certificates and /api/v1/certificates/{serial} (scope ``certificates:read``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from jitsuin.api.auth import ApiAccessError, BearerToken
from jitsuin.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page
from jitsuin.api.schemas import CertificateOut, CertificatesPage, CertificateState, ErrorOut
from jitsuin.lifecycle.choices import CertificateStatus
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import Serial

router = Router(tags=["certificates"])
READ = BearerToken("certificates:read")
REFUSALS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
NOT_FOUND = _("There is no certificate with this serial.")


def certificate_state(certificate: Certificate) -> CertificateState:
    if certificate.status == CertificateStatus.REVOKED:
        return "revoked"
    return "expired" if certificate.not_after <= timezone.now() else "valid"


def _out(certificate: Certificate) -> CertificateOut:
    serial = certificate.serial_number
    return CertificateOut(
        serial=serial.db,
        serial_decimal=str(serial.value),
        uid=certificate.person.uid,
        issuer=certificate.issuer.name,
        profile=certificate.profile.slug,
        subject=certificate.subject,
        state=certificate_state(certificate),
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
        fingerprint_sha256=certificate.fingerprint_sha256,
        last_seen_at=certificate.last_seen_at,
    )


def _serial(text: str) -> str:
    try:
        return Serial.parse(text).db
    except ValueError as exc:
        raise ApiAccessError(404, "not_found", NOT_FOUND) from exc


@router.get(
    "/certificates",
    auth=READ,
    response={200: CertificatesPage, **REFUSALS},
    summary="List certificates, with filters (by cursor)",
)
def list_certificates(
    request: HttpRequest,
    uid: str | None = Query(None, max_length=150, description="the holder"),
    state: CertificateState | None = Query(None, description="valid, expired or revoked"),  # noqa: B008 (ninja)
    issuer: str | None = Query(None, max_length=100, description="the CA's name or slug"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> CertificatesPage:
    """Oldest first; ``state`` is valid, expired (past not_after, not revoked) or revoked."""
    now = timezone.now()
    rows = Certificate.objects.select_related("person", "issuer", "profile")
    if uid:
        rows = rows.filter(person__uid=uid)
    if issuer:
        rows = rows.filter(issuer__name=issuer) | rows.filter(issuer__slug=issuer)
    if state == "revoked":
        rows = rows.filter(status=CertificateStatus.REVOKED)
    elif state == "expired":
        rows = rows.filter(status=CertificateStatus.VALID, not_after__lte=now)
    elif state == "valid":
        rows = rows.filter(status=CertificateStatus.VALID, not_after__gt=now)
    found, after = page(
        request,
        rows,
        kind="certificates",
        limit=limit,
        cursor=cursor,
        query={"uid": uid, "state": state, "issuer": issuer},
    )
    return CertificatesPage(items=[_out(c) for c in found], next=after)


@router.get(
    "/certificates/{serial}",
    auth=READ,
    response={200: CertificateOut, 404: ErrorOut, 409: ErrorOut, **REFUSALS},
    summary="One certificate, by serial (hex; colons allowed)",
)
def show_certificate(
    request: HttpRequest,
    serial: str,
    issuer: str | None = Query(None, max_length=100, description="when two CAs used the serial"),
) -> CertificateOut:
    return _out(find_certificate(serial, issuer))


def find_certificate(serial: str, issuer: str | None) -> Certificate:
    """The certificate with ``serial`` (any hex spelling), of ``issuer`` when given."""
    rows = Certificate.objects.select_related("person", "issuer", "profile").filter(
        serial=_serial(serial[:200])
    )
    if issuer:
        rows = rows.filter(issuer__name=issuer) | rows.filter(issuer__slug=issuer)
    found = list(rows[:2])
    if not found:
        raise ApiAccessError(404, "not_found", NOT_FOUND)
    if len(found) > 1:
        raise ApiAccessError(
            409, "ambiguous_serial", _("Two CAs used this serial: name the issuer.")
        )
    return found[0]
