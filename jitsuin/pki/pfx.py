"""What a PKCS#12 (PFX) file asks of whoever opens it, read before any key derivation.

A PFX names its own iteration counts: the MAC's, each encrypted content's and each shrouded
key's. OpenSSL runs whatever count the file declares, holding the GIL, so an 820-byte file with
2^31-1 MAC iterations keeps a process busy for a quarter of an hour. ``check_pkcs12_costs``
reads the structure with asn1crypto and refuses, by raising, any count above the cap and any
MAC, KDF, encryption scheme or content type that jitsuin does not open.

What an encrypted content holds (possibly more shrouded keys) shows only after decrypting it:
``jitsuin.pki.pkcs12.open_pkcs12_certificates_isolated`` bounds that part with a time limit.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import cms, pkcs12

from jitsuin.pki.errors import Pkcs12TooCostly, Pkcs12UnsupportedScheme, WrongPin

DEFAULT_MAX_ITERATIONS = 1_000_000
MAX_NESTING = 4  # safeContents inside safeContents; real files have none
MAX_DERIVED_KEY = 64  # bytes: AES-256 needs 32; PBKDF2 costs one full run per hash block

MAC_HASHES = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512", "sha512_224", "sha512_256"})
# PKCS#12 PBE (RFC 7292 appendix C) and PKCS#5 PBES1: the iterations sit in the parameters.
PBE_SCHEMES = frozenset(
    {
        "pkcs12_sha1_tripledes_3key",
        "pkcs12_sha1_tripledes_2key",
        "pkcs12_sha1_rc2_128",
        "pkcs12_sha1_rc2_40",
        "pbes1_sha1_des",
        "pbes1_md5_des",
    }
)
PBKDF2_PRFS = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512"})
PBES2_CIPHERS = frozenset({"aes128_cbc", "aes192_cbc", "aes256_cbc", "tripledes_3key"})


def check_pkcs12_costs(data: bytes, *, max_iterations: int) -> None:
    """Raise unless every iteration count in the PFX ``data`` is at most ``max_iterations``.

    Raises Pkcs12TooCostly (a count above the cap), Pkcs12UnsupportedScheme (a MAC, KDF,
    cipher or content type jitsuin does not open) or WrongPin (not a PFX at all). Derives no key.
    """
    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        _check_pfx(pfx, max_iterations)
    except (ValueError, TypeError, KeyError) as exc:
        raise WrongPin("this is not a PKCS#12 file jitsuin can read") from exc


def _check_pfx(pfx: Any, cap: int) -> None:
    mac_data = pfx["mac_data"]
    if mac_data.native is not None:
        digest = mac_data["mac"]["digest_algorithm"]["algorithm"].native
        if digest not in MAC_HASHES:
            raise Pkcs12UnsupportedScheme(part="MAC", scheme=str(digest))
        _within(int(mac_data["iterations"].native), cap, "MAC")
    auth_safe = pfx["auth_safe"]
    if auth_safe["content_type"].native != "data":
        # Public-key integrity mode (signedData): not what any of our peers makes.
        raise Pkcs12UnsupportedScheme(
            part="integrity mode", scheme=str(auth_safe["content_type"].native)
        )
    for content_info in pfx.authenticated_safe:
        kind = content_info["content_type"].native
        if kind == "data":
            contents = pkcs12.SafeContents.load(content_info["content"].native, strict=True)
            _check_bags(contents, cap, depth=0)
        elif kind == "encrypted_data":
            encrypted = content_info["content"]
            if not isinstance(encrypted, cms.EncryptedData):
                raise ValueError("encryptedData expected")
            algorithm = encrypted["encrypted_content_info"]["content_encryption_algorithm"]
            _check_encryption(algorithm, cap, "encrypted contents")
        else:
            raise Pkcs12UnsupportedScheme(part="contents", scheme=str(kind))


def _check_bags(contents: Any, cap: int, *, depth: int) -> None:
    if depth > MAX_NESTING:
        raise Pkcs12UnsupportedScheme(part="contents", scheme="deeply nested safeContents")
    for bag in contents:
        kind = bag["bag_id"].native
        if kind == "pkcs8_shrouded_key_bag":
            _check_encryption(bag["bag_value"]["encryption_algorithm"], cap, "key bag")
        elif kind == "safe_contents":
            _check_bags(bag["bag_value"], cap, depth=depth + 1)


def _check_encryption(algorithm: Any, cap: int, part: str) -> None:
    scheme = algorithm["algorithm"].native
    if scheme in PBE_SCHEMES:
        _within(int(algorithm["parameters"]["iterations"].native), cap, part)
        return
    if scheme != "pbes2":
        raise Pkcs12UnsupportedScheme(part=part, scheme=str(scheme))
    params = algorithm["parameters"]
    kdf = params["key_derivation_func"]
    if kdf["algorithm"].native != "pbkdf2":
        raise Pkcs12UnsupportedScheme(part=part, scheme=f"PBES2 with {kdf['algorithm'].native}")
    kdf_params = kdf["parameters"]
    prf = kdf_params["prf"]["algorithm"].native
    if prf not in PBKDF2_PRFS:
        raise Pkcs12UnsupportedScheme(part=part, scheme=f"PBKDF2 with HMAC-{prf}")
    key_length = kdf_params["key_length"].native
    if key_length is not None and not 1 <= int(key_length) <= MAX_DERIVED_KEY:
        raise Pkcs12UnsupportedScheme(part=part, scheme=f"PBKDF2 with a {key_length}-byte key")
    cipher = params["encryption_scheme"]["algorithm"].native
    if cipher not in PBES2_CIPHERS:
        raise Pkcs12UnsupportedScheme(part=part, scheme=f"PBES2 with {cipher}")
    _within(int(kdf_params["iteration_count"].native), cap, part)


def _within(iterations: int, cap: int, part: str) -> None:
    if iterations < 1:
        raise Pkcs12UnsupportedScheme(part=part, scheme=f"{iterations} iterations")
    if iterations > cap:
        raise Pkcs12TooCostly(part=part, iterations=iterations, limit=cap)
