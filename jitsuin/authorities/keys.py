"""The key stores of this instance: encrypted files under the KEK (``jitsuin.sealing``), and
the PKCS#11 token that holds the CA keys when ``JITSUIN_PKCS11_MODULE`` is set. A key
reference names its store (``file:...``, ``pkcs11:...``)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from jitsuin.config import current
from jitsuin.pki.keys import KeySpec, PrivateKey, generate_private_key
from jitsuin.pki.keystore import (
    DamagedKey,
    EncryptedFileKeyStore,
    KeyStore,
    KeyStoreError,
    WrongKeyEncryptionKey,
)
from jitsuin.sealing import SealError, kek, kek_source, seal, unseal

__all__ = ["SealError", "kek", "kek_source", "seal", "unseal"]


if TYPE_CHECKING:
    from jitsuin.pki.keystore_pkcs11 import Pkcs11KeyStore


@cache
def file_store() -> EncryptedFileKeyStore:
    """OCSP-responder, profile-signer and pickup keys (and CA keys without a token)."""
    return EncryptedFileKeyStore(current().key_dir, kek())


@cache
def token_store() -> Pkcs11KeyStore | None:
    """The PKCS#11 token of ``JITSUIN_PKCS11_*``, or None (no token configured)."""
    hsm = current().hsm
    if hsm.module is None:
        return None
    from jitsuin.pki.keystore_pkcs11 import Pkcs11KeyStore

    return Pkcs11KeyStore(hsm.module, hsm.token, hsm.pin)


class _KeyStores:
    """Each reference goes to the store its scheme names; new keys go to the file store."""

    def put(self, key: PrivateKey, label: str) -> str:
        return file_store().put(key, label)

    def _for(self, ref: str) -> KeyStore:
        if ref.startswith("pkcs11:"):
            store = token_store()
            if store is None:
                raise KeyStoreError(
                    f"key {ref} is in a PKCS#11 token, but JITSUIN_PKCS11_MODULE is not set"
                )
            return store
        return file_store()

    def get(self, ref: str) -> PrivateKey:
        return self._for(ref).get(ref)

    def destroy(self, ref: str) -> None:
        self._for(ref).destroy(ref)

    def exists(self, ref: str) -> bool:
        return self._for(ref).exists(ref)


@cache
def key_store() -> KeyStore:
    """Every key of this instance, found by its reference."""
    return _KeyStores()


def new_ca_key(spec: KeySpec, label: str) -> str:
    """A new CA key of ``spec``: made in the token when one is configured (it never leaves
    it), else generated here and kept as an encrypted file. Returns its reference."""
    store = token_store()
    if store is not None:
        return store.generate(spec, label)
    return file_store().put(generate_private_key(spec), label)


class KeyCheckError(Exception):
    """This process cannot open its CA keys: it must not start (the message says why)."""


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
    active = Authority.objects.filter(status=AuthorityStatus.ACTIVE).order_by("pk")
    # A remote signer's CAs (connectors.remote_chain): their keys are not here at all.
    for authority in active.exclude(key_ref__startswith="remote:"):
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
