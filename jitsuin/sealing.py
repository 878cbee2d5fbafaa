"""The key-encryption key (KEK) of this instance and the sealed blobs it protects.

Below every app: the CA key store (``authorities.keys``), pickups (``lifecycle``), TOTP seeds
(``access``) and the audit keys all derive from the one KEK, so it is read in one place.
"""

from __future__ import annotations

import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jitsuin.config import current
from jitsuin.pki.keystore import load_or_create_kek

_NONCE = 12
# Version 1: the associated data is the purpose only (blobs sealed before binding existed).
# Version 2: the purpose and the identity of the row holding the blob (``bound_to``).
_LEGACY = b"\x01"
_BOUND = b"\x02"


class SealError(Exception):
    """Sealed data could not be opened: wrong KEK, or the data was changed."""


@cache
def kek() -> bytes:
    """From ``JITSUIN_KEK`` (hex) when set, else ``kek.hex`` in the data dir (made 0600)."""
    config = current()
    config.ensure_data_dir()
    return bytes.fromhex(config.kek_hex) if config.kek_hex else load_or_create_kek(config.kek_path)


def kek_source() -> str:
    """Where this process's key-encryption key comes from, as the operator would name it."""
    config = current()
    return "JITSUIN_KEK" if config.kek_hex else f"{config.kek_path} (kek.hex)"


def _aead(purpose: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(kek())
    return AESGCM(key)


def _associated_data(purpose: str, bound_to: str) -> bytes:
    return purpose.encode() + b"\x00" + bound_to.encode()


def seal(data: bytes, *, purpose: str, bound_to: str) -> bytes:
    """Encrypt ``data`` for storage in a table (AES-256-GCM under a key derived from the KEK).

    ``purpose`` binds the ciphertext to its use ("pickup-pkcs12", "pickup-pin"), so a
    sealed PIN can never be opened as something else; ``bound_to`` names the row that holds
    it ("pickup:42"), so a blob copied into another row does not open there.
    """
    nonce = os.urandom(_NONCE)
    aad = _associated_data(purpose, bound_to)
    return _BOUND + nonce + _aead(purpose).encrypt(nonce, data, aad)


def unseal(sealed: bytes, *, purpose: str, bound_to: str) -> bytes:
    """Open what ``seal`` made for the same ``purpose`` and ``bound_to``.

    Blobs sealed before row binding (version 1) open with the purpose alone: nobody can
    make a new one without the KEK, so only rows from before the upgrade can be swapped,
    and those pickups are destroyed when their window ends.
    """
    version = sealed[:1] if sealed else b""
    if version == _BOUND:
        aad = _associated_data(purpose, bound_to)
    elif version == _LEGACY:
        aad = purpose.encode()
    else:
        raise SealError("not sealed data")
    nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
    try:
        return _aead(purpose).decrypt(nonce, body, aad)
    except Exception as exc:  # InvalidTag: wrong key or tampered data
        raise SealError("sealed data could not be opened (wrong key or changed data)") from exc
