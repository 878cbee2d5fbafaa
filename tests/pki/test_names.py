"""Serial numbers as people and operating systems show them, and subject names."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from jitsuin.pki.names import common_name, person_subject, serial_from_text, serial_hex

SERIALS = st.integers(min_value=1, max_value=(1 << 159) - 1)


@given(SERIALS)
def test_serial_hex_round_trips(serial: int) -> None:
    text = serial_hex(serial)
    assert serial_from_text(text) == serial
    assert len(text) % 2 == 0
    assert text == text.upper()
    assert not text.startswith("00")


@given(SERIALS)
def test_serial_as_windows_or_openssl_write_it_reads_back(serial: int) -> None:
    text = serial_hex(serial)
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    assert serial_from_text(":".join(pairs).lower()) == serial
    assert serial_from_text(" ".join(pairs)) == serial
    assert serial_from_text(f"0x{serial:x}") == serial


@pytest.mark.parametrize(("serial", "text"), [(1, "01"), (255, "FF"), (256, "0100")])
def test_serial_hex_pads_to_whole_bytes(serial: int, text: str) -> None:
    assert serial_hex(serial) == text


def test_person_subject_orders_organization_uid_common_name() -> None:
    name = person_subject(common_name="山田 花子", uid="s2310042", organization="Example Univ")
    oids = [a.oid for a in name]
    assert oids == [NameOID.ORGANIZATION_NAME, NameOID.USER_ID, NameOID.COMMON_NAME]
    assert common_name(name) == "山田 花子"
    assert [a.oid for a in person_subject(common_name="x", uid="y")] == [
        NameOID.USER_ID,
        NameOID.COMMON_NAME,
    ]
