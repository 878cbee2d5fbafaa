"""The signer's CRLs: signed when asked for and outdated, listing what its RAs revoked."""

from __future__ import annotations

import base64
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.utils import timezone

from jitsuin.authorities.publishing.settings import timings
from jitsuin.authorities.services import certificate_of
from jitsuin.signer import crls, endpoints, orders
from tests.signer.conftest import issue_body


def test_a_crl_lists_the_revocations_and_is_signed_again_only_when_outdated(ra, ca_hierarchy):
    issuing = ca_hierarchy.intermediate
    now = timezone.now()
    first = crls.current_crl(issuing, now)
    assert first.entries == 0
    assert crls.current_crl(issuing, now + timedelta(minutes=1)).pk == first.pk
    leaf = x509.load_pem_x509_certificate(
        str(orders.issue(ra, issue_body(), now)["certificate"]).encode()
    )
    fingerprint = certificate_of(issuing).fingerprint(hashes.SHA256()).hex()
    orders.revoke(
        ra,
        {"idempotency_key": "r", "issuer_fingerprint": fingerprint, "serial": leaf.serial_number},
        now + timedelta(minutes=2),
    )
    answer = endpoints.crl(fingerprint, now + timedelta(minutes=3))
    assert answer["number"] == first.number + 1
    crl = x509.load_der_x509_crl(base64.b64decode(str(answer["der"])))
    assert crl.is_signature_valid(certificate_of(issuing).public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None


def test_a_crl_is_signed_again_at_half_the_refresh_period(ra, ca_hierarchy):
    issuing = ca_hierarchy.intermediate
    now = timezone.now()
    first = crls.current_crl(issuing, now)
    half = timings().crl_refresh / 2
    assert crls.current_crl(issuing, now + half - timedelta(minutes=1)).pk == first.pk
    assert crls.current_crl(issuing, now + half).number == first.number + 1
