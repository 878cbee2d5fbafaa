"""PKCS#12 files in two named compatibility profiles, and one-time access PINs."""

from __future__ import annotations

import enum
import secrets
import struct
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from jitsuin.pki.errors import Pkcs12Refused, WrongPin
from jitsuin.pki.keys import PrivateKey
from jitsuin.pki.pfx import check_pkcs12_costs

# Windows refuses PBKDF2 iteration counts above 600,000 (strongswan/strongswan-docs#5).
MODERN_ITERATIONS = 600_000
COMPATIBLE_ITERATIONS = 2048
PIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed on phones
PIN_GROUPS = 3
PIN_GROUP_LENGTH = 4


class Pkcs12Profile(enum.StrEnum):
    # PBE-SHA1-3DES for keys and certificates, SHA-1 MAC: opens on macOS Keychain,
    # Android 13 and earlier, old Windows (pyca/cryptography#7293).
    COMPATIBLE = "compatible"
    # PBES2 (PBKDF2-SHA256, AES-256-CBC), SHA-256 MAC: Windows 10+, Firefox, OpenSSL 3.
    MODERN = "modern"


def _encryption(
    profile: Pkcs12Profile, pin: str, modern_iterations: int
) -> serialization.KeySerializationEncryption:
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    if profile is Pkcs12Profile.COMPATIBLE:
        builder = (
            builder.kdf_rounds(COMPATIBLE_ITERATIONS)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 (compatibility profile, see above)
        )
    else:
        if not 1 <= modern_iterations <= MODERN_ITERATIONS:
            raise ValueError(f"iterations must be between 1 and {MODERN_ITERATIONS}")
        builder = (
            builder.kdf_rounds(modern_iterations)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
        )
    return builder.build(pin.encode())


def build_pkcs12(
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    pin: str,
    friendly_name: str,
    profile: Pkcs12Profile = Pkcs12Profile.COMPATIBLE,
    modern_iterations: int = MODERN_ITERATIONS,
) -> bytes:
    """Key, certificate and the CA chain (intermediate first), encrypted under ``pin``.

    The chain travels with the key because relying parties such as FreeRADIUS trust only
    the root and need the client to send its intermediate.
    """
    if not pin:
        raise ValueError("a PKCS#12 file needs a PIN")
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(),
        key,
        certificate,
        list(chain) or None,
        _encryption(Pkcs12Profile(profile), pin, modern_iterations),
    )


@dataclass(frozen=True)
class Pkcs12Contents:
    key: PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    friendly_name: str


def load_pkcs12(data: bytes, pin: str, *, max_iterations: int | None = None) -> Pkcs12Contents:
    """Open a PKCS#12 file; a wrong PIN or a file that is not PKCS#12 raises WrongPin.

    With ``max_iterations``, a file asking for more work than that is refused
    (``check_pkcs12_costs``) before any key derivation.
    """
    if max_iterations is not None:
        check_pkcs12_costs(data, max_iterations=max_iterations)
    try:
        loaded = pkcs12.load_pkcs12(data, pin.encode())
    except ValueError as exc:
        raise WrongPin("the PKCS#12 file does not open with this PIN (or is not PKCS#12)") from exc
    if loaded.cert is None or loaded.key is None:
        raise WrongPin("the PKCS#12 file holds no certificate with its key")
    key = loaded.key
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise WrongPin("the PKCS#12 file holds a key of an unsupported type")
    name = loaded.cert.friendly_name
    return Pkcs12Contents(
        key=key,
        certificate=loaded.cert.certificate,
        chain=[c.certificate for c in loaded.additional_certs],
        friendly_name=name.decode() if name else "",
    )


def load_pkcs12_certificates(
    data: bytes, pin: str, *, max_iterations: int | None = None
) -> list[x509.Certificate]:
    """The certificates of a PKCS#12 file (leaf first) without keeping its key."""
    contents = load_pkcs12(data, pin, max_iterations=max_iterations)
    return [contents.certificate, *contents.chain]


# The child of open_pkcs12_certificates_isolated: PIN length, PIN and file on stdin; the
# certificates (leaf first) as length-prefixed DER on stdout; exit 3 for "does not open".
_CHILD = """
import struct, sys
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
raw = sys.stdin.buffer.read()
(n,) = struct.unpack(">I", raw[:4])
try:
    p = pkcs12.load_pkcs12(raw[4 + n:], raw[4:4 + n])
except ValueError:
    sys.exit(3)
if p.cert is None or p.key is None:
    sys.exit(3)
for c in [p.cert, *p.additional_certs]:
    der = c.certificate.public_bytes(Encoding.DER)
    sys.stdout.buffer.write(struct.pack(">I", len(der)) + der)
"""


def open_pkcs12_certificates_isolated(
    data: bytes, pin: str, *, max_iterations: int, timeout: float
) -> list[x509.Certificate]:
    """``load_pkcs12_certificates`` for files from strangers: checked, then opened in a child.

    The cost check sees every iteration count outside encrypted contents; what an encrypted
    content holds (more shrouded keys, each with its own count) shows only once decrypted, so
    the opening runs in a separate process, stopped after ``timeout`` seconds, and never holds
    this process's GIL. Raises Pkcs12Refused, WrongPin.
    """
    check_pkcs12_costs(data, max_iterations=max_iterations)
    secret = pin.encode()
    try:
        child = subprocess.run(  # noqa: S603 (our own interpreter and code, input on stdin)
            [sys.executable, "-I", "-c", _CHILD],
            input=struct.pack(">I", len(secret)) + secret + data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Pkcs12Refused(
            f"opening the PKCS#12 file took longer than {timeout:g} s", part="contents"
        ) from exc
    if child.returncode != 0:
        raise WrongPin("the PKCS#12 file does not open with this PIN (or is not PKCS#12)")
    certificates, out = [], child.stdout
    while out:
        (length,) = struct.unpack(">I", out[:4])
        certificates.append(x509.load_der_x509_certificate(out[4 : 4 + length]))
        out = out[4 + length :]
    if not certificates:
        raise WrongPin("the PKCS#12 file holds no certificate with its key")
    return certificates


def generate_pin() -> str:
    """A random access PIN such as ``k7vm-p3xa-9ftq`` (about 59 bits)."""
    groups = (
        "".join(secrets.choice(PIN_ALPHABET) for _ in range(PIN_GROUP_LENGTH))
        for _ in range(PIN_GROUPS)
    )
    return "-".join(groups)
