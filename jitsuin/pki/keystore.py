"""Where private keys live. The interface is small so that a PKCS#11 store fits beside it.

A key reference is a URI-like string (``file:NAME``); tables hold references, never keys.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jitsuin.pki.errors import PkiError
from jitsuin.pki.keys import PrivateKey

KEK_BYTES = 32
_SAFE_LABEL = re.compile(r"[^A-Za-z0-9_.-]+")


class KeyStoreError(PkiError):
    """A key that cannot be stored, found or opened."""


def _intact_encrypted_pkcs8(pem: bytes) -> bool:
    """Whether ``pem`` is a well-formed EncryptedPrivateKeyInfo (whatever its contents)."""
    try:
        _, _, der = asn1_pem.unarmor(pem)
        info = asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        _ = info.native  # parse every field now, not lazily
    except (ValueError, TypeError, OSError):
        return False
    return True


class WrongKeyEncryptionKey(KeyStoreError):
    """The key file is intact but this key-encryption key does not open it."""


class DamagedKey(KeyStoreError):
    """The key file is not a readable encrypted PKCS#8 key (truncated, edited, empty)."""


class KeyStore(Protocol):
    def put(self, key: PrivateKey, label: str) -> str:
        """Store ``key``; return its reference."""
        ...

    def get(self, ref: str) -> PrivateKey: ...

    def destroy(self, ref: str) -> None:
        """Remove the key for good; a missing key is not an error."""
        ...

    def exists(self, ref: str) -> bool: ...


def load_or_create_kek(path: Path) -> bytes:
    """The key-encryption key in ``path`` (hex), created with mode 0600 on first use."""
    if path.exists():
        try:
            kek = bytes.fromhex(path.read_text().strip())
        except ValueError:
            kek = b""
        if len(kek) != KEK_BYTES:
            raise KeyStoreError(f"{path} is damaged: it must hold {KEK_BYTES} bytes in hex")
        return kek
    path.parent.mkdir(parents=True, exist_ok=True)
    kek = secrets.token_bytes(KEK_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(kek.hex() + "\n")
    return kek


class EncryptedFileKeyStore:
    """Each key an encrypted PKCS#8 PEM file (mode 0600) whose password is the KEK."""

    scheme = "file"

    def __init__(self, directory: Path, kek: bytes) -> None:
        if len(kek) != KEK_BYTES:
            raise KeyStoreError(f"the key-encryption key must be {KEK_BYTES} bytes")
        self._directory = Path(directory)
        self._password = kek.hex().encode()

    def _path(self, ref: str) -> Path:
        scheme, _, name = ref.partition(":")
        if scheme != self.scheme or not name or _SAFE_LABEL.search(name):
            raise KeyStoreError(f"not a key reference of this store: {ref!r}")
        return self._directory / name

    def put(self, key: PrivateKey, label: str) -> str:
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{_SAFE_LABEL.sub('-', label).strip('-') or 'key'}-{secrets.token_hex(6)}"
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._password),
        )
        ref = f"{self.scheme}:{name}"
        fd = os.open(self._path(ref), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return ref

    def get(self, ref: str) -> PrivateKey:
        path = self._path(ref)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyStoreError(f"key {ref} is not in the key store") from exc
        try:
            key = serialization.load_pem_private_key(data, password=self._password)
        except ValueError as exc:
            # With a wrong KEK, CBC decryption yields garbage whose padding is usually refused
            # ("password") and sometimes accepted, failing later as a bad key: an intact
            # encrypted container says which of the two it is.
            if "password" in str(exc).lower() or _intact_encrypted_pkcs8(data):
                raise WrongKeyEncryptionKey(
                    f"key {ref} does not open with this key-encryption key"
                ) from exc
            raise DamagedKey(f"key file {path} is damaged (not an encrypted PKCS#8 key)") from exc
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"key {ref} is of an unsupported type")
        return key

    def destroy(self, ref: str) -> None:
        self._path(ref).unlink(missing_ok=True)

    def exists(self, ref: str) -> bool:
        return self._path(ref).exists()
