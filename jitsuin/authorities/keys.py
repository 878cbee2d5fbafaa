"""The key store and the key-encryption key (KEK) of this instance."""

from __future__ import annotations

import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jitsuin.config import current
from jitsuin.pki.keystore import (
    DamagedKey,
    EncryptedFileKeyStore,
    KeyStore,
    KeyStoreError,
    WrongKeyEncryptionKey,
    load_or_create_kek,
)

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


@cache
def key_store() -> KeyStore:
    """CA, OCSP-responder and pickup keys live here, encrypted under the KEK."""
    return EncryptedFileKeyStore(current().key_dir, kek())


class KeyCheckError(Exception):
    """This process cannot open its CA keys: it must not start (the message says why)."""


def kek_source() -> str:
    """Where this process's key-encryption key comes from, as the operator would name it."""
    config = current()
    return "JITSUIN_KEK" if config.kek_hex else f"{config.kek_path} (kek.hex)"


def check_kek(*, missing_ok: bool = False) -> int:
    """Open every active CA key once (a test decryption); returns how many opened.

    Raises KeyCheckError naming JITSUIN_KEK or kek.hex when the KEK is wrong, and the
    key file when a file is damaged, so that a misconfigured process refuses to start
    instead of failing the requests it touches. ``missing_ok``: a process without the
    key files (a web-only host) only checks what it has.
    """
    from jitsuin.authorities.models import Authority, AuthorityStatus

    source = kek_source()
    try:
        store = key_store()
    except KeyStoreError as exc:
        raise KeyCheckError(f"{source}: {exc}") from exc
    opened = 0
    for authority in Authority.objects.filter(status=AuthorityStatus.ACTIVE).order_by("pk"):
        if missing_ok and not store.exists(authority.key_ref):
            continue
        try:
            store.get(authority.key_ref)
        except WrongKeyEncryptionKey as exc:
            raise KeyCheckError(
                f"{source} does not open the key of CA {authority.name!r}: wrong "
                f"key-encryption key. Set {source} to the key this CA was created with."
            ) from exc
        except DamagedKey as exc:
            raise KeyCheckError(
                f"the key file of CA {authority.name!r} is damaged ({exc}); restore it from "
                "a backup (the key-encryption key is not the problem)"
            ) from exc
        except KeyStoreError as exc:
            raise KeyCheckError(f"CA {authority.name!r}: {exc}") from exc
        opened += 1
    return opened


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
