"""jitsuin with its CA keys in a PKCS#11 token (SoftHSM2): `JITSUIN_PKCS11_*` set, the CAs'
keys are made there, every signature by a CA is the token's, and the data directory and the
database hold no CA private key."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection

from jitsuin import config
from jitsuin.authorities import keys, services
from jitsuin.authorities.keys import check_kek
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.config import ConfigError, JitsuinConfig
from jitsuin.lifecycle.models import Certificate
from jitsuin.lifecycle.services import default_profile, request_issue
from tests.lifecycle.conftest import T0, key, make_person, run_pipeline
from tests.pki.softhsm import softhsm_token

pytestmark = pytest.mark.django_db


def _clear() -> None:
    config.current.cache_clear()
    keys.token_store.cache_clear()
    keys.key_store.cache_clear()


@pytest.fixture
def in_token(monkeypatch):  # type: ignore[no-untyped-def]
    token = softhsm_token()
    monkeypatch.setenv("JITSUIN_PKCS11_MODULE", str(token.module))
    monkeypatch.setenv("JITSUIN_PKCS11_TOKEN", token.label)
    monkeypatch.setenv("JITSUIN_PKCS11_PIN_FILE", str(token.pin_file))
    _clear()
    yield token
    monkeypatch.delenv("JITSUIN_PKCS11_MODULE")
    monkeypatch.delenv("JITSUIN_PKCS11_TOKEN")
    monkeypatch.delenv("JITSUIN_PKCS11_PIN_FILE")
    _clear()


def test_ca_init_makes_the_ca_keys_in_the_token_and_signs_with_them(in_token, capsys):
    call_command("ca", "init", "--key-type", "p384")
    result = services.init_hierarchy()
    for authority in (result.root, result.intermediate):
        assert authority.key_ref.startswith("pkcs11:object=")
        key_in_token = keys.key_store().get(authority.key_ref)
        assert key_in_token.public_key() == services.certificate_of(authority).public_key()
    root = services.certificate_of(result.root)
    services.certificate_of(result.intermediate).verify_directly_issued_by(root)
    crl = x509.load_der_x509_crl(bytes(publishing.latest_crl_or_sign(result.intermediate).der))
    assert crl.is_signature_valid(services.certificate_of(result.intermediate).public_key())  # type: ignore[arg-type]
    assert check_kek() >= 1  # the start-up check opens the token's keys too


def test_a_user_certificate_is_signed_by_the_token_and_no_ca_key_is_on_disk(in_token):
    key_dir = config.current().key_dir
    before = set(key_dir.glob("*")) if key_dir.exists() else set()
    result = services.init_hierarchy(key_type="rsa3072")
    person = make_person("hanako")
    request_issue(
        person, actor="user:hanako", idempotency_key=key(), profile=default_profile(), now=T0
    )
    assert "issued" in run_pipeline(T0)
    issued = Certificate.objects.get(person=person)
    leaf = x509.load_der_x509_certificate(bytes(issued.der))
    leaf.verify_directly_issued_by(services.certificate_of(result.intermediate))

    # The data directory: the OCSP responders' keys (file store) and nothing of the CAs.
    new_files = sorted(p.name for p in set(key_dir.glob("*")) - before)
    assert len(new_files) == 2 and all("-ocsp-" in name for name in new_files), new_files
    # The database: references only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_ref FROM authorities_authority")
        assert all(ref.startswith("pkcs11:") for (ref,) in cursor.fetchall())
    for ref in (result.root.key_ref, result.intermediate.key_ref):
        token_key = keys.key_store().get(ref)
        with pytest.raises(Exception, match="cannot be exported"):
            token_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )


def test_a_token_reference_without_the_token_configured_is_a_clear_error(in_token, monkeypatch):
    result = services.init_hierarchy()
    monkeypatch.delenv("JITSUIN_PKCS11_MODULE")
    monkeypatch.delenv("JITSUIN_PKCS11_TOKEN")
    monkeypatch.delenv("JITSUIN_PKCS11_PIN_FILE")
    _clear()
    with pytest.raises(Exception, match="JITSUIN_PKCS11_MODULE is not set"):
        keys.key_store().get(result.intermediate.key_ref)
    monkeypatch.setenv("JITSUIN_PKCS11_MODULE", str(in_token.module))  # for the teardown
    monkeypatch.setenv("JITSUIN_PKCS11_TOKEN", in_token.label)
    monkeypatch.setenv("JITSUIN_PKCS11_PIN_FILE", str(in_token.pin_file))


def test_the_settings_come_together_and_name_what_is_missing(tmp_path):
    token = softhsm_token()
    base = {"JITSUIN_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="JITSUIN_PKCS11_TOKEN"):
        JitsuinConfig.from_env({**base, "JITSUIN_PKCS11_MODULE": str(token.module)})
    with pytest.raises(ConfigError, match="JITSUIN_PKCS11_PIN_FILE"):
        JitsuinConfig.from_env(
            {**base, "JITSUIN_PKCS11_MODULE": str(token.module), "JITSUIN_PKCS11_TOKEN": "t"}
        )
    empty = tmp_path / "empty-pin"
    empty.write_text("")
    with pytest.raises(ConfigError, match="JITSUIN_PKCS11_PIN_FILE: .* is empty"):
        JitsuinConfig.from_env(
            {
                **base,
                "JITSUIN_PKCS11_MODULE": str(token.module),
                "JITSUIN_PKCS11_TOKEN": "t",
                "JITSUIN_PKCS11_PIN_FILE": str(empty),
            }
        )
    configured = JitsuinConfig.from_env(
        {
            **base,
            "JITSUIN_PKCS11_MODULE": str(token.module),
            "JITSUIN_PKCS11_TOKEN": token.label,
            "JITSUIN_PKCS11_PIN_FILE": str(token.pin_file),
        }
    )
    assert configured.hsm.pin == token.pin and token.pin not in repr(configured)
    assert configured.hsm.module == token.module and configured.hsm.token == token.label
