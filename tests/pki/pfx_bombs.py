"""PKCS#12 files that ask for absurd work: a valid file with its iteration counts rewritten.

Like the review's security-scripts/p12bomb.py, but the rewriting goes through asn1crypto.
The rewritten counts break the MAC and the encryption, which only shows after all the rounds.
"""

from __future__ import annotations

import datetime

from asn1crypto import algos, cms, core, pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12
from cryptography.x509.oid import NameOID

BOMB_PIN = "pin"
MAX_ITERATIONS = 2**31 - 1


def small_pfx(*, modern: bool = False) -> bytes:
    """A tiny self-signed EC PFX with one round everywhere (the p12bomb.py starting point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(1)
    if modern:
        builder = builder.key_cert_algorithm(crypto_pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(
            hashes.SHA256()
        )
    else:
        builder = builder.key_cert_algorithm(
            crypto_pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC
        ).hmac_hash(hashes.SHA1())  # noqa: S303
    return crypto_pkcs12.serialize_key_and_certificates(
        b"x", key, cert, None, builder.build(BOMB_PIN.encode())
    )


def with_mac_iterations(der: bytes, iterations: int) -> bytes:
    pfx = pkcs12.Pfx.load(der)
    pfx["mac_data"]["iterations"] = core.Integer(iterations)
    return bytes(pfx.dump(force=True))


def _set_iterations(algorithm: algos.EncryptionAlgorithm, iterations: int) -> None:
    if algorithm["algorithm"].native == "pbes2":
        params = algorithm["parameters"]["key_derivation_func"]["parameters"]
        params["iteration_count"] = core.Integer(iterations)
    else:
        algorithm["parameters"]["iterations"] = core.Integer(iterations)


def _rewrite_contents(der: bytes, iterations: int, *, keys: bool, encrypted: bool) -> bytes:
    pfx = pkcs12.Pfx.load(der)
    contents = []
    for info in pfx.authenticated_safe:
        kind = info["content_type"].native
        if kind == "data" and keys:
            bags = pkcs12.SafeContents.load(info["content"].native)
            for bag in bags:
                if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                    _set_iterations(bag["bag_value"]["encryption_algorithm"], iterations)
            info = cms.ContentInfo(
                {"content_type": "data", "content": core.OctetString(bags.dump(force=True))}
            )
        elif kind == "encrypted_data" and encrypted:
            algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
            _set_iterations(algorithm, iterations)
            info = cms.ContentInfo.load(info.dump(force=True))
        contents.append(info)
    safe = pkcs12.AuthenticatedSafe(contents).dump(force=True)
    pfx["auth_safe"] = cms.ContentInfo({"content_type": "data", "content": core.OctetString(safe)})
    return bytes(pfx.dump(force=True))


def with_key_iterations(der: bytes, iterations: int) -> bytes:
    """Every pkcs8ShroudedKeyBag asks for ``iterations`` (the MAC is left as it was)."""
    return _rewrite_contents(der, iterations, keys=True, encrypted=False)


def with_encrypted_data_iterations(der: bytes, iterations: int) -> bytes:
    """Every encryptedData content (the certificates) asks for ``iterations``."""
    return _rewrite_contents(der, iterations, keys=False, encrypted=True)


def mac_bomb(iterations: int = MAX_ITERATIONS) -> bytes:
    """The review's 820-byte file: 2^31-1 MAC iterations by default."""
    return with_mac_iterations(small_pfx(), iterations)
