from datetime import timedelta

import pytest
from cryptography import x509

from jitsuin.authorities import services
from jitsuin.authorities.keys import key_store
from jitsuin.authorities.models import Authority, AuthorityStatus

pytestmark = pytest.mark.django_db


def test_init_creates_root_intermediate_and_ocsp_signer(ca_hierarchy):
    root, intermediate = ca_hierarchy.root, ca_hierarchy.intermediate
    assert root.role == "root" and intermediate.parent == root
    assert intermediate.status == AuthorityStatus.ACTIVE
    ocsp = x509.load_der_x509_certificate(bytes(intermediate.ocsp_certificate_der))
    assert ocsp.issuer == services.certificate_of(intermediate).subject


def test_init_is_idempotent(ca_hierarchy):
    again = services.init_hierarchy()
    assert again.created is False
    assert Authority.objects.count() == 2


def test_keys_are_kept_by_reference_and_encrypted(ca_hierarchy, settings):
    intermediate = ca_hierarchy.intermediate
    assert intermediate.key_ref.startswith("file:")
    path = services.current().key_dir / intermediate.key_ref.removeprefix("file:")
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in path.read_bytes()
    key = key_store().get(intermediate.key_ref)
    assert key.public_key() == services.certificate_of(intermediate).public_key()


def test_activating_a_new_intermediate_retires_the_previous(ca_hierarchy):
    g2 = services.create_intermediate("Issuing CA G2")
    assert g2.status == AuthorityStatus.PENDING
    services.activate("Issuing CA G2")
    ca_hierarchy.intermediate.refresh_from_db()
    assert ca_hierarchy.intermediate.status == AuthorityStatus.RETIRED
    assert services.issuing_authority() == g2


def test_a_root_cannot_become_the_issuing_ca(ca_hierarchy):
    with pytest.raises(services.AuthorityError, match="root"):
        services.activate(ca_hierarchy.root.name)


def test_bundle_has_every_ca_root_first(ca_hierarchy):
    services.create_intermediate("Issuing CA G2")
    bundle = x509.load_pem_x509_certificates(services.bundle_pem().encode())
    assert len(bundle) == 3
    assert bundle[0].subject == bundle[0].issuer


def test_chain_of_an_intermediate_ends_at_the_root(ca_hierarchy):
    chain = services.chain_of(ca_hierarchy.intermediate)
    assert [a.role for a in chain] == ["intermediate", "root"]


def test_a_short_lived_intermediate_is_warned_about(ca_hierarchy, capsys):
    from django.core.management import call_command

    services.create_intermediate("Short CA", validity=timedelta(days=100))
    call_command("ca", "list")
    out = capsys.readouterr().out
    assert "WARNING: Short CA" in out and "will be refused" in out
