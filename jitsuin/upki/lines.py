"""A request's application to the national service: its line, written once per request
(a retried submission finds the same line), and the TSV columns it becomes."""

from __future__ import annotations

from datetime import datetime

from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction

from jitsuin.audit.services import record
from jitsuin.config import current
from jitsuin.connectors.base import ConnectorRejected, IssueOrder, RevokeOrder
from jitsuin.pki.pkcs12 import generate_pin
from jitsuin.sealing import seal, unseal
from jitsuin.upki.models import ApplyType, Line, LineState
from jitsuin.upstream.applications import (
    Application,
    ApplicationError,
    DownloadMethod,
    check_field,
)

# The service's profiles: 5 client authentication, 7 S/MIME (both SHA-256).
PROFILE_CLIENT, PROFILE_SMIME = "5", "7"
# RFC 5280 reason codes, as the service's column 5 numbers them.
REASON_CODES = {
    "unspecified": "0",
    "keyCompromise": "1",
    "affiliationChanged": "3",
    "superseded": "4",
    "cessationOfOperation": "5",
}


def cp932_refusal(*texts: str) -> str | None:
    """Why these texts (a name, an address) cannot go to the national service, or None: it
    takes Shift_JIS/cp932 only, so this is asked when the request is made, not at upload."""
    for text in texts:
        try:
            check_field("name", text)
        except ApplicationError as exc:
            return str(exc)
    return None


def _uid(order: IssueOrder) -> str:
    values = order.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(values[0].value) if values else ""


def _sealed_pin(line_key: str) -> bytes:
    return seal(generate_pin().encode(), purpose="upki-pin", bound_to=line_key)


def pin_of(line: Line) -> str:
    sealed = bytes(line.pin_sealed)
    return unseal(sealed, purpose="upki-pin", bound_to=f"request-{line.request_id}").decode()


def seal_p12(line: Line, p12: bytes) -> bytes:
    return seal(p12, purpose="upki-p12", bound_to=f"request-{line.request_id}")


def p12_of(line: Line) -> bytes:
    return unseal(bytes(line.p12_sealed), purpose="upki-p12", bound_to=f"request-{line.request_id}")


def subject_dn(uid: str, request_id: int) -> str:
    """The DN the service will certify (JITSUIN_UPKI_DN_NUMBER)."""
    config = current().upki
    number = f"OU=No.{request_id}," if config.dn_number == "request" else ""
    return f"CN={uid},{number}{config.dn_suffix}"


def line_for_issue(order: IssueOrder, now: datetime) -> Line:
    """The request's issue line, made on its first submission."""
    existing = Line.objects.filter(request_id=order.request_id).first()
    if existing is not None:
        return existing
    if order.csr_pem:
        raise ConnectorRejected(
            "the national service makes the keys itself: a CSR cannot be sent to it"
        )
    uid = _uid(order)
    if not uid:
        raise ConnectorRejected("the national service needs the person's user id for CN=")
    problem = cp932_refusal(order.holder_name, order.email, uid)
    if problem:
        raise ConnectorRejected(problem)
    return _create(
        Line(
            request_id=order.request_id,
            apply_type=ApplyType.ISSUE,
            dn=subject_dn(uid, order.request_id),
            profile_id=PROFILE_SMIME if "smime" in order.template else PROFILE_CLIENT,
            user_name=order.holder_name or uid,
            user_email=order.email,
            pin_sealed=_sealed_pin(f"request-{order.request_id}"),
            created_at=now,
            updated_at=now,
        )
    )


def line_for_revoke(order: RevokeOrder, dn: str, user_email: str, now: datetime) -> Line:
    existing = Line.objects.filter(request_id=order.request_id).first()
    if existing is not None:
        return existing
    return _create(
        Line(
            request_id=order.request_id,
            apply_type=ApplyType.REVOKE,
            dn=dn,
            serial=str(order.serial),
            reason=REASON_CODES.get(order.reason, "0"),
            user_email=user_email,
            created_at=now,
            updated_at=now,
        )
    )


def _create(line: Line) -> Line:
    try:
        with transaction.atomic():
            line.save()
            record(
                "upki.line.queued",
                obj=line,
                at=line.created_at,
                data={"request": line.request_id, "apply_type": line.apply_type, "dn": line.dn},
            )
    except IntegrityError:  # the same request submitted by two workers at once
        return Line.objects.get(request_id=line.request_id)
    return line


def application(line: Line) -> Application:
    """The TSV line of ``line`` (the PIN of column 15 only for issue and renew)."""
    config = current().upki
    if line.apply_type == ApplyType.REVOKE:
        return Application(
            dn=line.dn,
            serial=line.serial,
            reason=line.reason,
            admin_email=config.admin_email,
            user_email=line.user_email,
        )
    return Application(
        dn=line.dn,
        profile_id=line.profile_id,
        download_method=str(int(DownloadMethod.PKCS12_BULK)),
        serial=line.serial if line.apply_type == ApplyType.RENEW else "",
        admin_name=config.admin_name,
        admin_department=config.admin_department,
        admin_email=config.admin_email,
        user_name=line.user_name,
        pkcs12_name=f"request-{line.request_id}",
        user_department=line.user_department,
        user_email=line.user_email,
        access_pin=pin_of(line),
    )


def set_state(line: Line, state: str, now: datetime, **changes: object) -> None:
    """Move ``line`` (locked by the caller) to ``state`` and save what changed."""
    line.state = state
    line.updated_at = now
    if state in (LineState.DONE, LineState.FAILED):
        line.finished_at = now
    for name, value in changes.items():
        setattr(line, name, value)
    line.save(update_fields={"state", "updated_at", "finished_at", *changes})
