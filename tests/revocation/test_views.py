from email.utils import parsedate_to_datetime

import pytest
from cryptography import x509

from jitsuin.authorities.models import PendingPublication, PublishedCrl
from jitsuin.authorities.publishing import crl as publishing
from jitsuin.authorities.services import certificate_of

pytestmark = pytest.mark.django_db
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}  # not a campus network: relying-party paths stay public


def test_a_crl_is_der_with_cache_headers_bound_to_next_update(client, pki):
    publishing.refresh_crls()
    answer = client.get(f"/crl/{pki.current.slug}.crl", **OUTSIDE)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(answer.content)
    assert crl.issuer == certificate_of(pki.current).subject
    assert parsedate_to_datetime(answer["Expires"]) <= crl.next_update_utc
    max_age = int(answer["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= (crl.next_update_utc - crl.last_update_utc).total_seconds()
    again = client.get(f"/crl/{pki.current.slug}.crl", HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304


def test_ca_certificates_roots_and_bundle(client, pki):
    roots = x509.load_pem_x509_certificates(client.get("/ca/roots.pem", **OUTSIDE).content)
    assert [c.subject for c in roots] == [certificate_of(pki.root).subject]
    bundle = x509.load_pem_x509_certificates(client.get("/ca/bundle.pem", **OUTSIDE).content)
    assert len(bundle) == 3
    der = client.get(f"/ca/{pki.current.slug}.crt", **OUTSIDE)
    assert der["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(der.content) == certificate_of(pki.current)
    pem = client.get(f"/ca/{pki.old.slug}.pem", **OUTSIDE).content
    assert x509.load_pem_x509_certificate(pem) == certificate_of(pki.old)


def test_the_crl_bundle_is_public_and_complete(client, pki):
    publishing.refresh_crls()
    body = client.get("/crl/bundle.pem", **OUTSIDE).content
    assert body.count(b"-----BEGIN X509 CRL-----") == 3


def test_the_bundles_answer_304_to_a_client_that_has_them(client, pki):
    """The relying-party agent polls them with If-None-Match (jitsuin/agent/fetching.py)."""
    publishing.refresh_crls()
    for path in ("/crl/bundle.pem", "/ca/bundle.pem", "/ca/roots.pem"):
        answer = client.get(path, **OUTSIDE)
        again = client.get(path, HTTP_IF_NONE_MATCH=answer["ETag"], **OUTSIDE)
        assert (again.status_code, again.content, again["ETag"]) == (304, b"", answer["ETag"])
        assert client.get(path, HTTP_IF_NONE_MATCH='"other"', **OUTSIDE).status_code == 200
    before = client.get("/crl/bundle.pem", **OUTSIDE)["ETag"]
    publishing.publish_crl(pki.current)
    assert client.get("/crl/bundle.pem", **OUTSIDE)["ETag"] != before


def test_unknown_slugs_are_404(client, pki):
    assert client.get("/crl/nope.crl").status_code == 404
    assert client.get("/ca/nope.pem").status_code == 404


def test_the_web_side_never_signs_a_crl_it_schedules_the_first_one(client, pki):
    for path in (f"/crl/{pki.current.slug}.crl", f"/crl/{pki.current.slug}.pem", "/crl/bundle.pem"):
        answer = client.get(path, **OUTSIDE)
        assert answer.status_code == 503 and int(answer["Retry-After"]) > 0
    assert PublishedCrl.objects.count() == 0
    assert set(PendingPublication.objects.values_list("authority_id", flat=True)) == {
        pki.root.pk,
        pki.current.pk,
        pki.old.pk,
    }
    publishing.publish_due()  # what the worker does
    assert client.get("/crl/bundle.pem", **OUTSIDE).content.count(b"BEGIN X509 CRL") == 3
