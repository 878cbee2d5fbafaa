"""S/MIME key recovery: a recovery key pair made once, its public half configured, an S/MIME
default profile, and people with real certificates made by the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jitsuin import config
from jitsuin.lifecycle.models import Certificate, Person, Profile
from jitsuin.lifecycle.services import default_profile
from jitsuin.pki.keyarchive import (
    RecoveryKeyPair,
    generate_recovery_key,
    load_recovery_private_key,
)
from tests.portal.conftest import give_certificate, make_user_person

PASSPHRASE = b"offline recovery passphrase"


@pytest.fixture(scope="session")
def recovery_pair() -> RecoveryKeyPair:
    # 3072 bits (the minimum) keeps the tests quick; `jitsuin recovery init-key` makes 4096.
    return generate_recovery_key(PASSPHRASE, bits=3072)


@pytest.fixture(scope="session")
def recovery_private(recovery_pair: RecoveryKeyPair) -> rsa.RSAPrivateKey:
    return load_recovery_private_key(recovery_pair.private_pem, PASSPHRASE)


@pytest.fixture
def offline_dir(tmp_path_factory: pytest.TempPathFactory, recovery_pair: RecoveryKeyPair) -> Path:
    """The offline machine's directory (never the data dir): the encrypted private key."""
    directory = tmp_path_factory.mktemp("offline")
    (directory / "recovery-key.pem").write_bytes(recovery_pair.private_pem)
    (directory / "passphrase").write_bytes(PASSPHRASE + b"\n")
    return directory


@pytest.fixture(autouse=True)
def recovery_key_configured(
    tmp_path_factory: pytest.TempPathFactory,
    recovery_pair: RecoveryKeyPair,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """The server knows the recovery PUBLIC key (JITSUIN_KEY_RECOVERY_KEY)."""
    path = tmp_path_factory.mktemp("server-config") / "recovery-public.pem"
    path.write_bytes(recovery_pair.public_pem)
    monkeypatch.setenv("JITSUIN_KEY_RECOVERY_KEY", str(path))
    config.current.cache_clear()
    yield path
    monkeypatch.undo()
    config.current.cache_clear()


@pytest.fixture
def no_recovery_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JITSUIN_KEY_RECOVERY_KEY")
    config.current.cache_clear()


@pytest.fixture
def smime_profile(ca_hierarchy) -> Profile:  # type: ignore[no-untyped-def]
    profile = default_profile()
    profile.template = "client-auth-smime"
    profile.save(update_fields=["template"])
    return profile


@pytest.fixture
def alice(smime_profile: Profile) -> Person:
    return make_user_person("alice")


@pytest.fixture
def bob(smime_profile: Profile) -> Person:
    return make_user_person("bob")


@pytest.fixture
def alice_cert(alice: Person) -> Certificate:
    return give_certificate(alice)
