"""Key archive for S/MIME: a private key encrypted to the institution's key-recovery key.

Hybrid encryption, all from ``cryptography``: a fresh AES-256-GCM key encrypts the PKCS#8
DER of the archived key, and that AES key is encrypted with RSA-OAEP (SHA-256) to the
recovery public key. The server holds only the public half; the private half lives offline
(docs/key-recovery.md) and is used by ``recover_key`` on the machine that holds it.

An archive is bound to what it archives (``bound_to``, e.g. the certificate's fingerprint)
as GCM associated data: a blob copied onto another certificate does not open.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jitsuin.pki.errors import PkiError
from jitsuin.pki.keys import PrivateKey

RECOVERY_KEY_BITS = 4096
MIN_RECOVERY_KEY_BITS = 3072
MIN_PASSPHRASE_LENGTH = 12
_MAGIC = b"JKA1"
_NONCE_BYTES = 12
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class KeyArchiveError(PkiError):
    """A recovery key or an archive that cannot be used; the message says which and why."""


class WrongRecoveryKey(KeyArchiveError):
    """The archive was made for another recovery key, or the passphrase does not open it."""


@dataclass(frozen=True)
class RecoveryKeyPair:
    """A new recovery key: the private half encrypted under a passphrase, the public half."""

    private_pem: bytes = field(repr=False)
    public_pem: bytes


def generate_recovery_key(passphrase: bytes, *, bits: int = RECOVERY_KEY_BITS) -> RecoveryKeyPair:
    """An RSA key pair for the offline machine; its private half encrypted (PKCS#8)."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise KeyArchiveError(
            f"the passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long"
        )
    if bits < MIN_RECOVERY_KEY_BITS:
        raise KeyArchiveError(f"a recovery key needs at least {MIN_RECOVERY_KEY_BITS} bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return RecoveryKeyPair(private_pem=private_pem, public_pem=public_pem(key.public_key()))


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_recovery_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """The recovery public key from a PEM SubjectPublicKeyInfo; refuses a private key."""
    if b"PRIVATE KEY" in pem:
        raise KeyArchiveError(
            "this file holds a private key: the server gets only the recovery PUBLIC key"
        )
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise KeyArchiveError("not a PEM public key (BEGIN PUBLIC KEY)") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyArchiveError("the recovery key must be an RSA key")
    if key.key_size < MIN_RECOVERY_KEY_BITS:
        raise KeyArchiveError(
            f"the recovery key has {key.key_size} bits; at least {MIN_RECOVERY_KEY_BITS}"
        )
    return key


def load_recovery_private_key(pem: bytes, passphrase: bytes) -> rsa.RSAPrivateKey:
    """The recovery private key, opened with its passphrase (in memory only)."""
    try:
        key = serialization.load_pem_private_key(pem, passphrase)
    except (ValueError, TypeError) as exc:
        raise WrongRecoveryKey(
            "the recovery private key does not open with this passphrase (or is not a key)"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyArchiveError("the recovery key must be an RSA key")
    return key


def key_id(key: rsa.RSAPublicKey) -> str:
    """SHA-256 of the SubjectPublicKeyInfo DER, in hex: names the recovery key an archive
    was made for, without the key."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _associated_data(recovery_key_id: str, bound_to: str) -> bytes:
    return b"\0".join((_MAGIC, recovery_key_id.encode(), bound_to.encode()))


def archive_key(key: PrivateKey, recovery_key: rsa.RSAPublicKey, *, bound_to: str) -> bytes:
    """``key`` encrypted to ``recovery_key``: MAGIC, wrapped AES key, nonce, ciphertext."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(content_key).encrypt(
        nonce, der, _associated_data(key_id(recovery_key), bound_to)
    )
    wrapped = recovery_key.encrypt(content_key, _OAEP)
    return _MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce + ciphertext


def recover_key(blob: bytes, recovery_key: rsa.RSAPrivateKey, *, bound_to: str) -> PrivateKey:
    """The archived key; raises WrongRecoveryKey for another recovery key or binding."""
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 2:
        raise KeyArchiveError("not a jitsuin key archive")
    (length,) = struct.unpack(">H", blob[4:6])
    wrapped = blob[6 : 6 + length]
    nonce = blob[6 + length : 6 + length + _NONCE_BYTES]
    ciphertext = blob[6 + length + _NONCE_BYTES :]
    if len(wrapped) != length or len(nonce) != _NONCE_BYTES or not ciphertext:
        raise KeyArchiveError("the key archive is truncated")
    try:
        content_key = recovery_key.decrypt(wrapped, _OAEP)
        der = AESGCM(content_key).decrypt(
            nonce, ciphertext, _associated_data(key_id(recovery_key.public_key()), bound_to)
        )
    except (ValueError, InvalidTag) as exc:
        raise WrongRecoveryKey(
            "this archive was not made for this recovery key (or for another certificate)"
        ) from exc
    key = serialization.load_der_private_key(der, None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyArchiveError("the archived key is of an unsupported type")
    return key
