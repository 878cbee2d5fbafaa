"""CA key types: `JITSUIN_CA_KEY_TYPE` and `--key-type`, and the hash each key signs with."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import CommandError, call_command

from jitsuin import config
from jitsuin.authorities import services
from jitsuin.authorities.models import Authority
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.config.parts import CA_KEY_TYPES

pytestmark = pytest.mark.django_db

EXPECTED = {
    "p384": (ec.EllipticCurvePublicKey, 384, hashes.SHA384),
    "p256": (ec.EllipticCurvePublicKey, 256, hashes.SHA256),
    "rsa3072": (rsa.RSAPublicKey, 3072, hashes.SHA256),
    "rsa4096": (rsa.RSAPublicKey, 4096, hashes.SHA256),
}


def _key_size(key: object) -> int:
    return key.curve.key_size if isinstance(key, ec.EllipticCurvePublicKey) else key.key_size  # type: ignore[attr-defined]


@pytest.mark.parametrize("key_type", CA_KEY_TYPES)
def test_init_makes_both_cas_with_the_key_type_and_its_hash(key_type):
    kind, size, digest = EXPECTED[key_type]
    result = services.init_hierarchy(key_type=key_type)
    root = services.certificate_of(result.root)
    intermediate = services.certificate_of(result.intermediate)
    for certificate in (root, intermediate):
        assert isinstance(certificate.public_key(), kind)
        assert _key_size(certificate.public_key()) == size
        assert isinstance(certificate.signature_hash_algorithm, digest)
    intermediate.verify_directly_issued_by(root)
    crl = publishing.latest_crl_or_sign(result.intermediate)
    parsed = x509.load_der_x509_crl(bytes(crl.der))
    assert isinstance(parsed.signature_hash_algorithm, digest)
    assert parsed.is_signature_valid(intermediate.public_key())  # type: ignore[arg-type]


def test_the_setting_chooses_the_key_when_no_option_is_given(monkeypatch):
    monkeypatch.setenv("JITSUIN_CA_KEY_TYPE", "p256")
    config.current.cache_clear()
    try:
        result = services.init_hierarchy()
        assert _key_size(services.certificate_of(result.root).public_key()) == 256
        g2 = services.create_intermediate("Issuing CA G2", key_type="rsa3072")
        assert _key_size(services.certificate_of(g2).public_key()) == 3072
    finally:
        monkeypatch.delenv("JITSUIN_CA_KEY_TYPE")
        config.current.cache_clear()


def test_an_intermediate_of_another_type_verifies_under_the_root(ca_hierarchy):
    g2 = services.create_intermediate("Issuing CA RSA", key_type="rsa3072")
    child = services.certificate_of(g2)
    assert isinstance(child.public_key(), rsa.RSAPublicKey)
    # The root's P-384 key signed it, so the root's hash is used.
    assert isinstance(child.signature_hash_algorithm, hashes.SHA384)
    child.verify_directly_issued_by(services.certificate_of(ca_hierarchy.root))


def test_a_key_type_not_offered_for_a_ca_is_refused_before_anything_is_made():
    with pytest.raises(services.AuthorityError, match="rsa2048"):
        services.init_hierarchy(key_type="rsa2048")
    assert Authority.objects.count() == 0


def test_the_cli_option_is_limited_to_the_ca_key_types(capsys):
    with pytest.raises((CommandError, SystemExit)):
        call_command("ca", "init", "--key-type", "rsa2048")
    assert Authority.objects.count() == 0
    call_command("ca", "init", "--key-type", "p256")
    root = Authority.objects.roots().get()
    assert _key_size(services.certificate_of(root).public_key()) == 256
