"""Serial numbers and subject names as people and operating systems show them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

SERIAL_BITS = 127  # 16 bytes with the top bit clear: positive, >= 64 bits of entropy


def new_serial() -> int:
    """A positive serial from the CSPRNG with 126+ bits of entropy (RFC 5280 allows 20 octets)."""
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial >= 1 << 64:
            return serial


@dataclass(frozen=True, order=True)
class Serial:
    """A certificate serial number: one value, every spelling people and tables use.

    ``Serial.parse`` reads any hex spelling (``0x``, colons, spaces, either case); ``.db`` is
    the one spelling jitsuin stores and looks up; ``.hex`` and ``.hex_pairs`` are for people.
    """

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise TypeError(f"a serial is an int, not {type(self.value).__name__}")
        if self.value < 0:
            raise ValueError(f"a serial is not negative: {self.value}")

    @classmethod
    def parse(cls, text: str) -> Serial:
        """Read a serial written in hex: ``30e4a6``, ``0x30E4A6``, ``30:E4:A6``, ``30 e4 a6``."""
        cleaned = text.strip().replace(":", "").replace(" ", "")
        if cleaned.lower().startswith("0x"):
            cleaned = cleaned[2:]
        if not cleaned or any(c not in _HEX_DIGITS for c in cleaned):
            raise ValueError(f"not a hex serial: {text!r}")
        return cls(int(cleaned, 16))

    @property
    def db(self) -> str:
        """The stored spelling: lower-case hex without leading zeros."""
        return f"{self.value:x}"

    @property
    def hex(self) -> str:
        """Upper-case hex with an even number of digits, as Windows and macOS show it."""
        text = f"{self.value:X}"
        return text if len(text) % 2 == 0 else "0" + text

    @property
    def hex_pairs(self) -> str:
        """``30 E4 A6``: upper-case byte pairs separated by spaces, as Windows shows them."""
        text = self.hex
        return " ".join(text[i : i + 2] for i in range(0, len(text), 2))

    @property
    def decimal(self) -> str:
        """Decimal digits, as some e-mails and logs show it."""
        return str(self.value)

    def __str__(self) -> str:
        return self.hex


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


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
