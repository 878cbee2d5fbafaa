"""Key generation and key-strength policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from jitsuin.pki.errors import WeakKey

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

RSA_SIZES = (2048, 3072, 4096)
CURVES: dict[str, ec.EllipticCurve] = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1()}
MIN_RSA_BITS = 2048
_CURVE_NAMES = {"secp256r1", "secp384r1", "secp521r1"}


@dataclass(frozen=True)
class KeySpec:
    """``rsa2048``, ``rsa3072``, ``rsa4096``, ``p256`` or ``p384``."""

    algorithm: Literal["rsa", "ec"]
    size: int = 0
    curve: str = ""

    @classmethod
    def parse(cls, text: str) -> KeySpec:
        value = text.strip().lower().replace("-", "")
        if value in CURVES:
            return cls(algorithm="ec", curve=value)
        if value.startswith("rsa") and value[3:].isdigit() and int(value[3:]) in RSA_SIZES:
            return cls(algorithm="rsa", size=int(value[3:]))
        choices = ", ".join([f"rsa{n}" for n in RSA_SIZES] + list(CURVES))
        raise ValueError(f"unknown key type {text!r}; choose one of {choices}")

    def __str__(self) -> str:
        return self.curve if self.algorithm == "ec" else f"rsa{self.size}"


def generate_private_key(spec: KeySpec) -> PrivateKey:
    if spec.algorithm == "ec":
        return ec.generate_private_key(CURVES[spec.curve])
    return rsa.generate_private_key(public_exponent=65537, key_size=spec.size)


def check_public_key(key: object) -> PublicKey:
    """Return ``key`` if jitsuin accepts it for a certificate, else raise :class:`WeakKey`."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise WeakKey(f"RSA key of {key.key_size} bits is too weak; at least {MIN_RSA_BITS}")
        if key.public_numbers().e < 65537:
            raise WeakKey("RSA public exponent below 65537 is not accepted")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVE_NAMES:
            raise WeakKey(f"elliptic curve {key.curve.name} is not accepted; use P-256 or P-384")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise WeakKey("EdDSA keys are not accepted: most TLS clients cannot use them")
    raise WeakKey(f"key type {type(key).__name__} is not accepted; use RSA or ECDSA")


def describe(key: PrivateKey | PublicKey) -> str:
    """``RSA 2048`` or ``ECDSA P-256``, for display."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    return {"secp256r1": "ECDSA P-256", "secp384r1": "ECDSA P-384"}.get(
        key.curve.name, f"ECDSA {key.curve.name}"
    )
