"""Every CA answers OCSP through a delegated responder; /ocsp never needs a CA key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.utils import timezone

from jitsuin.authorities.keys import key_store
from jitsuin.authorities.models import Authority, OcspResponse
from jitsuin.authorities.publishing import periodic
from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.authorities.revocations import revoke_authority
from jitsuin.authorities.services import certificate_of
from tests.revocation.factories import issue, revoke
from tests.revocation.lint import pkilint

pytestmark = pytest.mark.django_db
DER = serialization.Encoding.DER
SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertIDs)


def _post(client, body: bytes) -> ocsp.OCSPResponse:
    answer = client.post("/ocsp", data=body, content_type="application/ocsp-request")
    assert answer.status_code == 200
    return ocsp.load_der_ocsp_response(answer.content)


def _about(certificate: x509.Certificate, issuer: Authority, **kw) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate, certificate_of(issuer), kw.get("algorithm", SHA1)
    )
    if kw.get("nonce"):
        builder = builder.add_extension(x509.OCSPNonce(kw["nonce"]), critical=False)
    return builder.build().public_bytes(DER)


def _responder_certificate(authority: Authority) -> x509.Certificate:
    authority.refresh_from_db()
    return x509.load_der_x509_certificate(bytes(authority.ocsp_certificate_der))


def _signed_by(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    public_key = signer.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        response.signature, response.tbs_response_bytes, ec.ECDSA(response.signature_hash_algorithm)
    )
    return True


def test_a_new_root_gets_its_own_delegated_responder(pki):
    delegated = _responder_certificate(pki.root)
    assert delegated.issuer == certificate_of(pki.root).subject
    assert delegated.subject != certificate_of(pki.root).subject
    eku = delegated.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert pki.root.ocsp_key_ref != pki.root.key_ref
    pkilint("lint_pkix_cert", delegated.public_bytes(DER))


def test_answers_about_intermediates_are_signed_by_the_roots_responder(client, pki):
    delegated = _responder_certificate(pki.root)
    for nonce in (None, b"r" * 16):
        response = _post(client, _about(certificate_of(pki.current), pki.root, nonce=nonce))
        assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert response.certificates == [delegated]
        assert _signed_by(response, delegated)
    pkilint("lint_ocsp_response", response.public_bytes(DER))


def test_ocsp_is_answered_with_every_ca_key_gone(client, pki):
    """What a web process can do: responder keys only. Signing happens in the worker."""
    fresh, revoked, under_old = issue(pki.current), issue(pki.current), issue(pki.old)
    revoke(revoked, reason="keyCompromise")
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    for authority in (pki.root, pki.current, pki.old):
        key_store().destroy(authority.key_ref)
        assert not key_store().exists(authority.key_ref)
    reset_process_caches()

    good = ocsp.OCSPCertStatus.GOOD
    bad = ocsp.OCSPCertStatus.REVOKED
    unknown = ocsp.OCSPCertStatus.UNKNOWN
    cases = [
        (_about(fresh.certificate, pki.current), good),  # stored
        (_about(fresh.certificate, pki.current, nonce=b"n" * 16), good),  # signed live
        (_about(fresh.certificate, pki.current, algorithm=hashes.SHA256()), good),
        (_about(revoked.certificate, pki.current), bad),
        (_about(under_old.certificate, pki.old), bad),
        (_about(certificate_of(pki.old), pki.root), bad),
        (_about(certificate_of(pki.current), pki.root, nonce=b"m" * 16), good),
        (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(*_issuer_hashes(pki.current), 0x4242, hashes.SHA256())
            .build()
            .public_bytes(DER),
            unknown,
        ),
    ]
    for body, expected in cases:
        assert _post(client, body).certificate_status == expected


def _issuer_hashes(authority: Authority) -> tuple[bytes, bytes]:
    from jitsuin.pki.ocsp import issuer_hashes

    return issuer_hashes(certificate_of(authority), hashes.SHA256())


def test_a_root_made_before_roots_had_a_responder_gets_one_on_the_periodic_refresh(client, pki):
    Authority.objects.filter(pk=pki.root.pk).update(ocsp_key_ref="", ocsp_certificate_der=None)
    reset_process_caches()
    # Until then the web side never falls back to the root's key: stored answers or tryLater.
    live = _post(client, _about(certificate_of(pki.current), pki.root, nonce=b"x" * 16))
    assert live.response_status == ocsp.OCSPResponseStatus.TRY_LATER
    renewed = periodic.renew_responders(timezone.now())
    assert [a.pk for a in renewed] == [pki.root.pk]
    reset_process_caches()
    response = _post(client, _about(certificate_of(pki.current), pki.root, nonce=b"y" * 16))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert _signed_by(response, _responder_certificate(pki.root))
    assert periodic.renew_responders(timezone.now()) == []


def test_revoking_an_intermediate_gives_a_root_without_responder_one(pki):
    Authority.objects.filter(pk=pki.root.pk).update(ocsp_key_ref="", ocsp_certificate_der=None)
    revoke_authority(pki.old.name, reason="superseded", actor="test")
    stored = OcspResponse.objects.get(issuer=pki.root, serial=pki.old.serial)
    response = ocsp.load_der_ocsp_response(bytes(stored.der))
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert _signed_by(response, _responder_certificate(pki.root))


def test_responders_are_not_given_to_expired_cas(pki):
    later = pki.root.not_after + timedelta(days=1)
    assert periodic.renew_responders(later) == []
