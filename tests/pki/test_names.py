"""Serial numbers as people and operating systems show them, and subject names."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from jitsuin.pki.names import Serial, common_name, person_subject

SERIALS = st.integers(min_value=1, max_value=(1 << 159) - 1)


@given(SERIALS)
def test_serial_hex_round_trips(serial: int) -> None:
    text = Serial(serial).hex
    assert Serial.parse(text).value == serial
    assert len(text) % 2 == 0
    assert text == text.upper()
    assert not text.startswith("00")


@given(SERIALS)
def test_serial_as_windows_or_openssl_write_it_reads_back(serial: int) -> None:
    text = Serial(serial).hex
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    assert Serial.parse(":".join(pairs).lower()).value == serial
    assert Serial.parse(" ".join(pairs)).value == serial
    assert Serial.parse(f"0x{serial:x}").value == serial
    assert Serial.parse(Serial(serial).hex_pairs) == Serial(serial)


@pytest.mark.parametrize(("serial", "text"), [(1, "01"), (255, "FF"), (256, "0100")])
def test_serial_hex_pads_to_whole_bytes(serial: int, text: str) -> None:
    assert Serial(serial).hex == text


@given(SERIALS)
def test_every_spelling_of_a_serial_is_stored_one_way(serial: int) -> None:
    stored = Serial(serial).db
    assert stored == f"{serial:x}"  # lower case, no leading zeros: what every table holds
    for spelling in (Serial(serial).hex, Serial(serial).hex.lower(), Serial(serial).hex_pairs):
        assert Serial.parse(spelling).db == stored


def test_a_serial_shown_to_people() -> None:
    serial = Serial.parse("5bcf3")
    assert (serial.hex, serial.hex_pairs, serial.decimal) == ("05BCF3", "05 BC F3", "376051")
    assert str(serial) == "05BCF3"


@pytest.mark.parametrize("text", ["", "0x", "12g4", "-1", "1_0", "+10"])
def test_a_serial_that_is_not_hex_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="not a hex serial"):
        Serial.parse(text)


def test_a_serial_is_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match="not negative"):
        Serial(-1)
    with pytest.raises(TypeError):
        Serial("ab")  # type: ignore[arg-type]


def test_person_subject_orders_organization_uid_common_name() -> None:
    name = person_subject(common_name="山田 花子", uid="s2310042", organization="Example Univ")
    oids = [a.oid for a in name]
    assert oids == [NameOID.ORGANIZATION_NAME, NameOID.USER_ID, NameOID.COMMON_NAME]
    assert common_name(name) == "山田 花子"
    assert [a.oid for a in person_subject(common_name="x", uid="y")] == [
        NameOID.USER_ID,
        NameOID.COMMON_NAME,
    ]
