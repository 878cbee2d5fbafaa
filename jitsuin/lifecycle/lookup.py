"""Finding certificate rows by serial, whatever hex spelling the row was stored with."""

from __future__ import annotations

from jitsuin.authorities.models import Authority
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import serial_hex


def serial_key(serial: int) -> str:
    """The spelling jitsuin's revocation tables use: lower-case hex, no leading zeros."""
    return f"{serial:x}"


def serial_spellings(serial: int) -> list[str]:
    # Rows may hold lower-case hex (the model's comment) or serial_hex()'s even-length upper case.
    even = serial_hex(serial)
    return sorted({f"{serial:x}", f"{serial:X}", even, even.lower()})


def certificate_for(issuer: Authority | int, serial: int) -> Certificate | None:
    issuer_id = issuer if isinstance(issuer, int) else issuer.pk
    return (
        Certificate.objects.filter(issuer_id=issuer_id, serial__in=serial_spellings(serial))
        .order_by("pk")
        .first()
    )
