"""The S/MIME key archive: hybrid encryption to an offline recovery key, bytes in and out."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jitsuin.pki.keyarchive import (
    KeyArchiveError,
    RecoveryKeyPair,
    WrongRecoveryKey,
    archive_key,
    generate_recovery_key,
    key_id,
    load_recovery_private_key,
    load_recovery_public_key,
    recover_key,
)

PASSPHRASE = b"correct horse battery staple"


@pytest.fixture(scope="module")
def pair() -> RecoveryKeyPair:
    return generate_recovery_key(PASSPHRASE, bits=3072)


def _der(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_an_archived_key_comes_back_with_the_recovery_private_key(pair, kind):
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    blob = archive_key(key, load_recovery_public_key(pair.public_pem), bound_to="cert:aa")
    assert _der(key) not in blob
    private = load_recovery_private_key(pair.private_pem, PASSPHRASE)
    assert _der(recover_key(blob, private, bound_to="cert:aa")) == _der(key)


def test_the_private_half_is_encrypted_under_the_passphrase(pair):
    assert b"ENCRYPTED PRIVATE KEY" in pair.private_pem
    with pytest.raises(WrongRecoveryKey):
        load_recovery_private_key(pair.private_pem, b"wrong passphrase!!")


def test_an_archive_bound_to_another_certificate_does_not_open(pair):
    key = ec.generate_private_key(ec.SECP256R1())
    blob = archive_key(key, load_recovery_public_key(pair.public_pem), bound_to="cert:aa")
    private = load_recovery_private_key(pair.private_pem, PASSPHRASE)
    with pytest.raises(WrongRecoveryKey):
        recover_key(blob, private, bound_to="cert:bb")


def test_another_recovery_key_does_not_open_an_archive(pair):
    other = generate_recovery_key(PASSPHRASE, bits=3072)
    key = ec.generate_private_key(ec.SECP256R1())
    blob = archive_key(key, load_recovery_public_key(pair.public_pem), bound_to="cert:aa")
    with pytest.raises(WrongRecoveryKey):
        recover_key(
            blob, load_recovery_private_key(other.private_pem, PASSPHRASE), bound_to="cert:aa"
        )


def test_a_truncated_archive_is_refused(pair):
    key = ec.generate_private_key(ec.SECP256R1())
    blob = archive_key(key, load_recovery_public_key(pair.public_pem), bound_to="x")
    private = load_recovery_private_key(pair.private_pem, PASSPHRASE)
    with pytest.raises(KeyArchiveError):
        recover_key(blob[:300], private, bound_to="x")
    with pytest.raises(KeyArchiveError, match="not a jitsuin key archive"):
        recover_key(b"garbage", private, bound_to="x")


def test_the_server_refuses_a_private_key_weak_key_or_junk_as_recovery_key(pair):
    with pytest.raises(KeyArchiveError, match="PUBLIC"):
        load_recovery_public_key(pair.private_pem)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    weak_pem = weak.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyArchiveError, match="at least 3072"):
        load_recovery_public_key(weak_pem)
    with pytest.raises(KeyArchiveError, match="not a PEM public key"):
        load_recovery_public_key(b"hello")


def test_a_short_passphrase_is_refused():
    with pytest.raises(KeyArchiveError, match="at least 12"):
        generate_recovery_key(b"short")


def test_key_id_names_the_public_key(pair):
    public = load_recovery_public_key(pair.public_pem)
    assert len(key_id(public)) == 64
    private = load_recovery_private_key(pair.private_pem, PASSPHRASE)
    assert key_id(private.public_key()) == key_id(public)


def test_only_the_smime_profile_archives_keys():
    from jitsuin.pki.profiles import CLIENT_AUTH, CLIENT_AUTH_SMIME, PROFILE_SIGNER

    assert CLIENT_AUTH_SMIME.archives_key
    assert not CLIENT_AUTH.archives_key
    assert not PROFILE_SIGNER.archives_key
