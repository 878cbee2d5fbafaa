"""The CA key store of this instance, encrypted under the KEK (``jitsuin.sealing``)."""

from __future__ import annotations

from functools import cache

from jitsuin.config import current
from jitsuin.pki.keystore import (
    DamagedKey,
    EncryptedFileKeyStore,
    KeyStore,
    KeyStoreError,
    WrongKeyEncryptionKey,
)
from jitsuin.sealing import SealError, kek, kek_source, seal, unseal

__all__ = ["SealError", "kek", "kek_source", "seal", "unseal"]


@cache
def key_store() -> KeyStore:
    """CA, OCSP-responder and pickup keys live here, encrypted under the KEK."""
    return EncryptedFileKeyStore(current().key_dir, kek())


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
