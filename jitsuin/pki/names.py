"""Serial numbers and subject names as people and operating systems show them."""

from __future__ import annotations

import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID

SERIAL_BITS = 127  # 16 bytes with the top bit clear: positive, >= 64 bits of entropy


def new_serial() -> int:
    """A positive serial from the CSPRNG with 126+ bits of entropy (RFC 5280 allows 20 octets)."""
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial >= 1 << 64:
            return serial


def serial_hex(serial: int) -> str:
    """Upper-case hex with an even number of digits, as Windows and macOS show it."""
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def serial_from_text(text: str) -> int:
    """Read a serial written in hex (``0x``, colons and spaces allowed)."""
    cleaned = text.strip().replace(":", "").replace(" ", "")
    if cleaned.lower().startswith("0x"):
        return int(cleaned[2:], 16)
    return int(cleaned, 16)


def person_subject(*, common_name: str, uid: str, organization: str = "") -> x509.Name:
    attributes = []
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.USER_ID, uid))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()
