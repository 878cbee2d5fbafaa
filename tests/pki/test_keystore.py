"""The encrypted-file key store and its key-encryption key."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jitsuin.pki.keystore import (
    KEK_BYTES,
    EncryptedFileKeyStore,
    KeyStore,
    KeyStoreError,
    _intact_encrypted_pkcs8,
    load_or_create_kek,
)
from tests.pki.factories import cached_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _public(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def kek() -> bytes:
    return secrets.token_bytes(KEK_BYTES)


@pytest.fixture
def store(tmp_path: Path, kek: bytes) -> EncryptedFileKeyStore:
    return EncryptedFileKeyStore(tmp_path / "keys", kek)


def test_the_file_store_fits_the_key_store_interface(store: EncryptedFileKeyStore) -> None:
    typed: KeyStore = store
    assert typed.exists("file:nothing-here") is False


@pytest.mark.parametrize("spec", ["rsa2048", "p256", "p384"])
def test_put_then_get_returns_the_same_key(store: EncryptedFileKeyStore, spec: str) -> None:
    key = cached_key(spec)
    ref = store.put(key, "Example Univ Client CA G1")
    assert ref.startswith("file:Example-Univ-Client-CA-G1-")
    assert store.exists(ref)
    assert _public(store.get(ref)) == _public(key)
    assert store.get(ref).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) == key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_two_keys_with_one_label_get_two_references(store: EncryptedFileKeyStore) -> None:
    first = store.put(cached_key("p256"), "ocsp")
    second = store.put(cached_key("p256", "other"), "ocsp")
    assert first != second
    assert store.exists(first) and store.exists(second)


def test_key_file_is_mode_0600_in_a_0700_directory(
    store: EncryptedFileKeyStore, tmp_path: Path
) -> None:
    ref = store.put(cached_key("p256"), "root")
    path = tmp_path / "keys" / ref.removeprefix("file:")
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "keys") == 0o700


def test_key_file_is_encrypted_pkcs8(store: EncryptedFileKeyStore, tmp_path: Path) -> None:
    key = cached_key("p384")
    ref = store.put(key, "root")
    data = (tmp_path / "keys" / ref.removeprefix("file:")).read_bytes()
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    clear = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert clear not in data
    with pytest.raises(TypeError):  # it needs a password
        serialization.load_pem_private_key(data, password=None)


def test_wrong_kek_does_not_open_the_key(
    store: EncryptedFileKeyStore, tmp_path: Path, kek: bytes
) -> None:
    ref = store.put(cached_key("p256"), "root")
    other = EncryptedFileKeyStore(tmp_path / "keys", bytes(b ^ 0xFF for b in kek))
    with pytest.raises(KeyStoreError, match="does not open with this key-encryption key"):
        other.get(ref)


def test_destroy_removes_the_key_for_good_and_twice_is_fine(
    store: EncryptedFileKeyStore, tmp_path: Path
) -> None:
    ref = store.put(cached_key("p256"), "pickup")
    store.destroy(ref)
    assert not store.exists(ref)
    assert list((tmp_path / "keys").iterdir()) == []
    store.destroy(ref)
    with pytest.raises(KeyStoreError, match="is not in the key store"):
        store.get(ref)


@pytest.mark.parametrize(
    "ref", ["pkcs11:token=x;object=y", "file:", "file:../etc/passwd", "file:a/b", "key-1"]
)
def test_foreign_or_unsafe_references_are_refused(store: EncryptedFileKeyStore, ref: str) -> None:
    with pytest.raises(KeyStoreError, match="not a key reference of this store"):
        store.get(ref)


def test_kek_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="must be 32 bytes"):
        EncryptedFileKeyStore(tmp_path, b"short")


def test_kek_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "kek.hex"
    kek = load_or_create_kek(path)
    assert len(kek) == KEK_BYTES
    assert _mode(path) == 0o600
    assert load_or_create_kek(path) == kek


def test_a_damaged_kek_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.hex"
    path.write_text("abcd\n")
    with pytest.raises(KeyStoreError, match="must hold 32 bytes in hex"):
        load_or_create_kek(path)


def test_an_intact_encrypted_container_means_a_wrong_kek_not_a_damaged_file(
    store: EncryptedFileKeyStore, tmp_path: Path
) -> None:
    # Rarely, a wrong KEK decrypts to garbage with valid CBC padding and the error no longer
    # says "password" (this once failed the test above in CI): the container decides.
    ref = store.put(cached_key("p256"), "root")
    pem = next((tmp_path / "keys").iterdir()).read_bytes()
    assert _intact_encrypted_pkcs8(pem)
    assert not _intact_encrypted_pkcs8(
        pem[: len(pem) // 2] + b"\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    assert not _intact_encrypted_pkcs8(b"not a key at all")
    assert store.get(ref) is not None
