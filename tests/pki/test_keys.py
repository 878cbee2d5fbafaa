"""Key generation and the key-strength policy."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from jitsuin.pki.errors import WeakKey
from jitsuin.pki.keys import KeySpec, check_public_key, describe, generate_private_key
from tests.pki.factories import cached_key, weak_rsa_key

SPECS = {
    "rsa2048": ("rsa", 2048, ""),
    "rsa3072": ("rsa", 3072, ""),
    "rsa4096": ("rsa", 4096, ""),
    "p256": ("ec", 0, "p256"),
    "p384": ("ec", 0, "p384"),
}


@pytest.mark.parametrize("text", list(SPECS))
def test_each_key_spec_parses_and_prints_back(text: str) -> None:
    spec = KeySpec.parse(text)
    assert (spec.algorithm, spec.size, spec.curve) == SPECS[text]
    assert str(spec) == text


@pytest.mark.parametrize("text", ["RSA-2048", " rsa2048 ", "P-256", "p-384"])
def test_key_spec_accepts_the_usual_spellings(text: str) -> None:
    assert str(KeySpec.parse(text)) in SPECS


@pytest.mark.parametrize("text", ["rsa1024", "rsa2047", "rsa", "p521", "ed25519", "", "dsa2048"])
def test_unknown_key_spec_is_refused_with_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="choose one of rsa2048, rsa3072, rsa4096, p256, p384"):
        KeySpec.parse(text)


@pytest.mark.parametrize(
    ("text", "kind", "size", "label"),
    [
        ("rsa2048", rsa.RSAPrivateKey, 2048, "RSA 2048"),
        ("rsa3072", rsa.RSAPrivateKey, 3072, "RSA 3072"),
        ("rsa4096", rsa.RSAPrivateKey, 4096, "RSA 4096"),
        ("p256", ec.EllipticCurvePrivateKey, 256, "ECDSA P-256"),
        ("p384", ec.EllipticCurvePrivateKey, 384, "ECDSA P-384"),
    ],
)
def test_generated_key_matches_its_spec_and_is_accepted(
    text: str, kind: type, size: int, label: str
) -> None:
    key = cached_key(text)  # generate_private_key, cached for the session
    assert isinstance(key, kind)
    assert key.key_size == size
    assert describe(key) == label
    assert describe(key.public_key()) == label
    assert check_public_key(key.public_key()) is not None


def test_generated_keys_differ_and_rsa_uses_exponent_65537() -> None:
    first = generate_private_key(KeySpec.parse("p256"))
    second = generate_private_key(KeySpec.parse("p256"))
    assert first.private_numbers() != second.private_numbers()
    rsa_key = cached_key("rsa2048")
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert rsa_key.public_key().public_numbers().e == 65537


def test_rsa_1024_is_refused_as_weak() -> None:
    weak = weak_rsa_key()
    with pytest.raises(WeakKey, match="RSA key of 1024 bits is too weak; at least 2048"):
        check_public_key(weak.public_key())


def test_rsa_with_exponent_3_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    with pytest.raises(WeakKey, match="exponent"):
        check_public_key(key.public_key())


@pytest.mark.parametrize(
    "make", [ed25519.Ed25519PrivateKey.generate, ed448.Ed448PrivateKey.generate]
)
def test_eddsa_keys_are_refused(make: object) -> None:
    key = make()  # type: ignore[operator]
    with pytest.raises(WeakKey, match="EdDSA keys are not accepted"):
        check_public_key(key.public_key())


def test_curves_other_than_nist_p_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    with pytest.raises(WeakKey, match="secp256k1 is not accepted; use P-256 or P-384"):
        check_public_key(key.public_key())


def test_dsa_and_non_keys_are_refused() -> None:
    key = dsa.generate_private_key(key_size=2048)
    with pytest.raises(WeakKey, match="DSAPublicKey is not accepted; use RSA or ECDSA"):
        check_public_key(key.public_key())
    with pytest.raises(WeakKey, match="not accepted"):
        check_public_key(b"not a key")
