"""Uploaded PKCS#12 files are read with asn1crypto and refused, unopened, when they ask for
more key-derivation work than the cap or for a scheme jitsuin does not open (issue 10, item 1)."""

from __future__ import annotations

import subprocess
import time

import pytest
from asn1crypto import pkcs12
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12

from jitsuin.pki.errors import (
    Pkcs12Refused,
    Pkcs12TooCostly,
    Pkcs12UnsupportedScheme,
    WrongPin,
)
from jitsuin.pki.pfx import DEFAULT_MAX_ITERATIONS, check_pkcs12_costs
from jitsuin.pki.pkcs12 import (
    MODERN_ITERATIONS,
    Pkcs12Profile,
    build_pkcs12,
    load_pkcs12,
    open_pkcs12_certificates_isolated,
)
from tests.peers import require_tool
from tests.pki.factories import TestPki, cached_key
from tests.pki.pfx_bombs import (
    BOMB_PIN,
    MAX_ITERATIONS,
    mac_bomb,
    small_pfx,
    with_encrypted_data_iterations,
    with_key_iterations,
    with_mac_iterations,
)

PIN = "k7vm-p3xa-9ftq"


def test_the_2_31_mac_bomb_is_refused_at_once_naming_the_mac() -> None:
    bomb = mac_bomb()
    assert len(bomb) < 1000
    started = time.perf_counter()
    with pytest.raises(Pkcs12TooCostly) as refused:
        check_pkcs12_costs(bomb, max_iterations=DEFAULT_MAX_ITERATIONS)
    assert time.perf_counter() - started < 0.1
    assert (refused.value.part, refused.value.iterations) == ("MAC", MAX_ITERATIONS)
    assert refused.value.limit == DEFAULT_MAX_ITERATIONS


def test_load_pkcs12_with_a_cap_refuses_before_any_key_derivation() -> None:
    started = time.perf_counter()
    with pytest.raises(Pkcs12TooCostly):
        load_pkcs12(mac_bomb(), BOMB_PIN, max_iterations=DEFAULT_MAX_ITERATIONS)
    assert time.perf_counter() - started < 0.1  # 2^31-1 rounds would take about 15 minutes


@pytest.mark.parametrize("modern", [False, True], ids=["pkcs12-pbe-3des", "pbes2-aes"])
@pytest.mark.parametrize(
    ("rewrite", "part"),
    [(with_key_iterations, "key bag"), (with_encrypted_data_iterations, "encrypted contents")],
)
def test_every_iteration_count_in_the_file_is_checked(modern, rewrite, part) -> None:  # type: ignore[no-untyped-def]
    bomb = rewrite(small_pfx(modern=modern), 5_000_000)
    with pytest.raises(Pkcs12TooCostly) as refused:
        check_pkcs12_costs(bomb, max_iterations=DEFAULT_MAX_ITERATIONS)
    assert (refused.value.part, refused.value.iterations) == (part, 5_000_000)


def test_the_cap_is_an_argument() -> None:
    data = with_key_iterations(small_pfx(), 3000)
    check_pkcs12_costs(data, max_iterations=3000)
    with pytest.raises(Pkcs12TooCostly):
        check_pkcs12_costs(data, max_iterations=2999)


@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_files_jitsuin_makes_pass_the_default_cap(pki: TestPki, profile: Pkcs12Profile) -> None:
    key = cached_key("p256")
    data = build_pkcs12(
        key=key,
        certificate=pki.client(key=key),
        chain=pki.chain,
        pin=PIN,
        friendly_name="x",
        profile=profile,
        modern_iterations=MODERN_ITERATIONS,
    )
    check_pkcs12_costs(data, max_iterations=DEFAULT_MAX_ITERATIONS)
    assert load_pkcs12(data, PIN, max_iterations=DEFAULT_MAX_ITERATIONS).key is not None


@pytest.mark.parametrize("legacy", [False, True], ids=["openssl-default", "openssl-legacy"])
def test_files_openssl_makes_pass_the_default_cap(pki: TestPki, tmp_path, legacy) -> None:  # type: ignore[no-untyped-def]
    openssl = require_tool("openssl")
    key = cached_key("p256")
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(
        pki.client(key=key).public_bytes(serialization.Encoding.PEM)
    )
    args = [openssl, "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem"]
    args += ["-passout", f"pass:{PIN}", "-out", "f.p12"]
    if legacy:
        args += ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"]
    subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)
    data = (tmp_path / "f.p12").read_bytes()
    check_pkcs12_costs(data, max_iterations=DEFAULT_MAX_ITERATIONS)
    certificates = open_pkcs12_certificates_isolated(
        data, PIN, max_iterations=DEFAULT_MAX_ITERATIONS, timeout=30
    )
    assert certificates[0].public_key() == key.public_key()


def test_an_unknown_encryption_scheme_is_refused_by_name() -> None:
    pfx = pkcs12.Pfx.load(small_pfx())
    info = pfx.authenticated_safe[0]
    assert info["content_type"].native == "encrypted_data"
    # PBES2 with PBKDF2 is fine; a made-up PBE OID is not.
    der = small_pfx()
    old = bytes.fromhex("2a864886f70d010c0103")  # pbeWithSHAAnd3-KeyTripleDES-CBC
    new = bytes.fromhex("2a864886f70d010c0109")  # not a PKCS#12 PBE
    with pytest.raises(Pkcs12UnsupportedScheme) as refused:
        check_pkcs12_costs(der.replace(old, new), max_iterations=DEFAULT_MAX_ITERATIONS)
    assert "1.2.840.113549.1.12.1.9" in str(refused.value)


def test_bytes_that_are_not_a_pfx_are_a_wrong_pin_as_before() -> None:
    with pytest.raises(WrongPin):
        check_pkcs12_costs(b"\x30\x03\x02\x01\x03", max_iterations=DEFAULT_MAX_ITERATIONS)
    with pytest.raises(WrongPin):
        check_pkcs12_costs(b"not der at all", max_iterations=DEFAULT_MAX_ITERATIONS)


def test_isolated_opening_returns_the_certificates(pki: TestPki) -> None:
    key = cached_key("p256")
    leaf = pki.client(key=key)
    data = build_pkcs12(key=key, certificate=leaf, chain=pki.chain, pin=PIN, friendly_name="x")
    opened = open_pkcs12_certificates_isolated(
        data, PIN, max_iterations=DEFAULT_MAX_ITERATIONS, timeout=30
    )
    assert opened == [leaf, *pki.chain]
    with pytest.raises(WrongPin):
        open_pkcs12_certificates_isolated(
            data, PIN + "x", max_iterations=DEFAULT_MAX_ITERATIONS, timeout=30
        )


def test_isolated_opening_is_stopped_after_its_time_limit() -> None:
    # What the cost check cannot see (keys inside encrypted contents) is bounded by time;
    # here a MAC allowed by a generous cap stands in for it.
    slow = with_mac_iterations(small_pfx(), 200_000_000)
    started = time.perf_counter()
    with pytest.raises(Pkcs12Refused):
        open_pkcs12_certificates_isolated(slow, BOMB_PIN, max_iterations=MAX_ITERATIONS, timeout=1)
    assert time.perf_counter() - started < 10


def test_the_rewritten_files_still_open_when_the_counts_are_small() -> None:
    """The bomb builders change only the counts: with 1 round the file is still a PFX."""
    crypto_pkcs12.load_pkcs12(with_key_iterations(small_pfx(), 1), BOMB_PIN.encode())
