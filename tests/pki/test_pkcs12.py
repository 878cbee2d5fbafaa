"""PKCS#12 files in the two compatibility profiles, and access PINs."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitsuin.pki.errors import WrongPin
from jitsuin.pki.pkcs12 import (
    COMPATIBLE_ITERATIONS,
    MODERN_ITERATIONS,
    PIN_ALPHABET,
    PIN_GROUP_LENGTH,
    PIN_GROUPS,
    Pkcs12Profile,
    build_pkcs12,
    generate_pin,
    load_pkcs12,
    load_pkcs12_certificates,
)
from tests.peers import require_tool
from tests.pki.factories import TestPki, cached_key

PIN = "k7vm-p3xa-9ftq"
FRIENDLY = "山田 花子 (Example Univ 2025)"


def _p12(pki: TestPki, profile: Pkcs12Profile, *, key_spec: str = "p256", **kw: object) -> bytes:
    key = cached_key(key_spec)
    return build_pkcs12(
        key=key,
        certificate=pki.client(key=key),
        chain=pki.chain,
        pin=PIN,
        friendly_name=FRIENDLY,
        profile=profile,
        **kw,  # type: ignore[arg-type]
    )


def _openssl_info(data: bytes, tmp_path: Path, pin: str = PIN) -> str:
    openssl = require_tool("openssl")
    path = tmp_path / "file.p12"
    path.write_bytes(data)
    result = subprocess.run(
        [openssl, "pkcs12", "-in", path, "-passin", f"pass:{pin}", "-info", "-noout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_the_default_profile_is_compatible() -> None:
    assert Pkcs12Profile("compatible") is Pkcs12Profile.COMPATIBLE
    assert build_pkcs12.__kwdefaults__["profile"] is Pkcs12Profile.COMPATIBLE  # type: ignore[index]


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
@pytest.mark.parametrize("key_spec", ["p256", "rsa2048"])
def test_file_opens_with_the_pin_and_holds_key_leaf_chain_and_name(
    pki: TestPki, profile: Pkcs12Profile, key_spec: str
) -> None:
    key = cached_key(key_spec)
    leaf = pki.client(key=key)
    data = build_pkcs12(
        key=key, certificate=leaf, chain=pki.chain, pin=PIN, friendly_name=FRIENDLY, profile=profile
    )
    contents = load_pkcs12(data, PIN)
    assert contents.certificate == leaf
    assert contents.chain == [pki.intermediate.certificate, pki.root.certificate]
    assert contents.friendly_name == FRIENDLY
    assert contents.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) == key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert load_pkcs12_certificates(data, PIN) == [leaf, *pki.chain]


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_wrong_pin_is_refused(pki: TestPki, profile: Pkcs12Profile) -> None:
    data = _p12(pki, profile)
    for wrong in ["k7vm-p3xa-9ftx", "", PIN.upper(), PIN + " "]:
        with pytest.raises(WrongPin, match="does not open with this PIN"):
            load_pkcs12(data, wrong)


@pytest.mark.parametrize("data", [b"", b"not a pkcs12 file", b"\x30\x03\x02\x01\x03"])
def test_bytes_that_are_not_pkcs12_raise_wrong_pin(data: bytes) -> None:
    with pytest.raises(WrongPin):
        load_pkcs12(data, PIN)


def test_an_empty_pin_is_refused_when_building(pki: TestPki) -> None:
    with pytest.raises(ValueError, match="needs a PIN"):
        build_pkcs12(
            key=cached_key("p256"),
            certificate=pki.client(),
            chain=pki.chain,
            pin="",
            friendly_name=FRIENDLY,
        )


@pytest.mark.parametrize("iterations", [0, MODERN_ITERATIONS + 1, 2_000_000])
def test_modern_iterations_beyond_what_windows_accepts_are_refused(
    pki: TestPki, iterations: int
) -> None:
    with pytest.raises(ValueError, match="iterations must be between 1 and 600000"):
        _p12(pki, Pkcs12Profile.MODERN, modern_iterations=iterations)


@pytest.mark.peers
def test_compatible_profile_is_3des_with_a_sha1_mac_and_2048_iterations(
    pki: TestPki, tmp_path: Path
) -> None:
    info = _openssl_info(_p12(pki, Pkcs12Profile.COMPATIBLE), tmp_path)
    assert "MAC: sha1, Iteration 2048" in info
    assert "PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048" in info
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048" in info
    assert COMPATIBLE_ITERATIONS == 2048
    assert info.count("Certificate bag") == 3
    assert "PBES2" not in info and "AES" not in info and "RC2" not in info


@pytest.mark.peers
def test_modern_profile_is_pbes2_aes256_with_a_sha256_mac(pki: TestPki, tmp_path: Path) -> None:
    info = _openssl_info(_p12(pki, Pkcs12Profile.MODERN), tmp_path)
    assert "MAC: sha256," in info
    pbes2 = "PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256"
    assert f"PKCS7 Encrypted data: {pbes2}" in info
    assert f"Shrouded Keybag: {pbes2}" in info
    assert info.count("Certificate bag") == 3
    for count in re.findall(r"Iteration (\d+)", info):
        assert int(count) <= 600_000


@pytest.mark.peers
def test_modern_profile_takes_fewer_iterations_when_asked(pki: TestPki, tmp_path: Path) -> None:
    info = _openssl_info(_p12(pki, Pkcs12Profile.MODERN, modern_iterations=100_000), tmp_path)
    assert "AES-256-CBC, Iteration 100000, PRF hmacWithSHA256" in info


@pytest.mark.peers
@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_openssl_without_legacy_shows_the_friendly_name_and_chain(
    pki: TestPki, profile: Pkcs12Profile, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    path = tmp_path / "file.p12"
    key = cached_key("p256")
    path.write_bytes(
        build_pkcs12(
            key=key,
            certificate=pki.client(key=key),
            chain=pki.chain,
            pin=PIN,
            friendly_name="Hanako Yamada 2025",
            profile=profile,
        )
    )
    shown = subprocess.run(
        [openssl, "pkcs12", "-in", path, "-passin", f"pass:{PIN}", "-nokeys"],
        capture_output=True,
        check=True,
    ).stdout.decode(errors="replace")
    assert "friendlyName: Hanako Yamada 2025" in shown
    assert "CN = Example Univ Client CA G1" in shown
    assert "CN = Example Univ Test Root CA" in shown
    refused = subprocess.run(
        [openssl, "pkcs12", "-in", path, "-passin", "pass:wrong", "-noout"],
        capture_output=True,
        check=False,
    )
    assert refused.returncode != 0


# --- PINs ------------------------------------------------------------------------------------

_GROUP = f"[{PIN_ALPHABET}]{{{PIN_GROUP_LENGTH}}}"
PIN_PATTERN = re.compile(rf"^{_GROUP}(-{_GROUP}){{{PIN_GROUPS - 1}}}$")


def test_pin_is_three_groups_of_four_unambiguous_characters() -> None:
    for _ in range(200):
        pin = generate_pin()
        assert PIN_PATTERN.match(pin), pin
        assert len(pin) == 14


def test_pin_alphabet_has_no_characters_people_confuse() -> None:
    assert len(set(PIN_ALPHABET)) == len(PIN_ALPHABET) == 31
    assert not set(PIN_ALPHABET) & set("0o1liI")
    assert PIN_ALPHABET == PIN_ALPHABET.lower()
    assert PIN_ALPHABET.isascii() and PIN_ALPHABET.isalnum()


def test_pin_has_more_than_56_bits_of_entropy_and_uses_the_whole_alphabet() -> None:
    bits = PIN_GROUPS * PIN_GROUP_LENGTH * math.log2(len(PIN_ALPHABET))
    assert bits > 56
    pins = [generate_pin() for _ in range(2000)]
    assert len(set(pins)) == len(pins)
    seen = set("".join(pins)) - {"-"}
    assert seen == set(PIN_ALPHABET)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pin=st.text(alphabet=PIN_ALPHABET + "-", min_size=1, max_size=20).filter(lambda p: p.strip("-"))
)
def test_any_pin_over_the_alphabet_round_trips_and_no_other_opens_it(
    pki: TestPki, pin: str
) -> None:
    key = cached_key("p256")
    data = build_pkcs12(
        key=key, certificate=pki.client(key=key), chain=pki.chain, pin=pin, friendly_name="x"
    )
    assert load_pkcs12(data, pin).certificate.public_key() == key.public_key()
    with pytest.raises(WrongPin):
        load_pkcs12(data, pin + "a")
