"""Finding 11: a new intermediate is published with its CRL, and /crl/bundle.pem never fails
because one CA has none yet; `jitsuin ca revoke` says when the parent's CRL lists it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography import x509
from django.core.management import call_command
from django.utils import timezone

from jitsuin.authorities.models import Authority, PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.services import certificate_of, create_intermediate

pytestmark = pytest.mark.django_db
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}  # a relying party off campus


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _bundle_issuers(body: bytes) -> list[x509.Name]:
    pems = [p for p in body.split(b"-----END X509 CRL-----") if b"BEGIN X509 CRL" in p]
    return [x509.load_pem_x509_crl(p + b"-----END X509 CRL-----\n").issuer for p in pems]


@pytest.fixture
def published(ca_hierarchy):
    """A running instance: every CA already has its CRL."""
    publishing.refresh_crls()
    return ca_hierarchy


def test_create_intermediate_signs_its_first_crl_at_once(client, published):
    out = _cli("ca", "create-intermediate", "Example Client CA G2")
    g2 = Authority.objects.get(name="Example Client CA G2")
    assert "first CRL" in out
    crl = client.get(f"/crl/{g2.slug}.crl", **OUTSIDE)
    assert crl.status_code == 200
    assert x509.load_der_x509_crl(crl.content).issuer == certificate_of(g2).subject
    bundle = client.get("/crl/bundle.pem", **OUTSIDE)
    assert bundle.status_code == 200
    assert certificate_of(g2).subject in _bundle_issuers(bundle.content)


def test_ca_init_publishes_the_first_crls(db):
    _cli("ca", "init")
    assert PublishedCrl.objects.values("authority").distinct().count() == 2


def test_the_bundle_skips_a_ca_without_a_crl_and_names_it(client, published):
    # An intermediate made without its first CRL (by an older version, or a failed signing).
    late = create_intermediate("Late CA")
    answer = client.get("/crl/bundle.pem", **OUTSIDE)
    assert answer.status_code == 200
    assert answer["Jitsuin-CRL-Pending"] == late.slug
    assert answer["Cache-Control"] == "no-store"
    issuers = _bundle_issuers(answer.content)
    assert certificate_of(published.root).subject in issuers
    assert certificate_of(published.intermediate).subject in issuers
    # Its first CRL is asked for at once; once signed the bundle is whole again.
    assert PendingPublication.objects.filter(authority=late).exists()
    publishing.publish_due()
    whole = client.get("/crl/bundle.pem", **OUTSIDE)
    assert "Jitsuin-CRL-Pending" not in whole
    assert certificate_of(late).subject in _bundle_issuers(whole.content)


def _root_crl_lists(root: Authority, child: Authority) -> bool:
    crl = x509.load_der_x509_crl(bytes(publishing.PublishedCrl.objects.latest_for(root).der))
    return crl.get_revoked_certificate_by_serial_number(int(child.serial, 16)) is not None


def test_revoking_an_intermediate_now_publishes_the_root_crl_at_once(published):
    _cli("ca", "create-intermediate", "Compromised CA")
    out = _cli("ca", "revoke", "Compromised CA", "--reason", "keyCompromise")
    child = Authority.objects.get(name="Compromised CA")
    assert _root_crl_lists(published.root, child)
    number = publishing.PublishedCrl.objects.latest_for(published.root).number
    assert f"published CRL number {number} of {published.root.name}" in out


def test_a_scheduled_revocation_says_when_the_crl_will_list_it(published):
    _cli("ca", "create-intermediate", "Retiring CA")
    at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    out = _cli("ca", "revoke", "Retiring CA", "--at", at.isoformat())
    child = Authority.objects.get(name="Retiring CA")
    assert not _root_crl_lists(published.root, child)
    when = f"{timezone.localtime(at):%Y-%m-%d %H:%M %Z}"
    assert f"the CRL of {published.root.name} listing it will be published at {when}" in out
    pending = PendingPublication.objects.get(authority=published.root)
    assert pending.due_at == at
