"""OCSP (RFC 6960, RFC 5019 profile): reading requests and building signed responses."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jitsuin.pki.errors import MalformedOcspRequest
from jitsuin.pki.issuance import Signer, signature_hash
from jitsuin.pki.keys import PrivateKey, check_public_key
from jitsuin.pki.ocsp_der import Answer, ResponseEncoder, sign_with_builder
from jitsuin.pki.ocsp_der import CertId as CertId  # what a request names; made here

DEFAULT_RESPONSE_VALIDITY = timedelta(days=1)
# A one-certificate request is about 100 bytes, 250 with a SHA-512 CertID and a full nonce.
MAX_REQUEST_SIZE = 4 * 1024
# RFC 9654 (updating RFC 8954): a nonce is 1 to 128 octets; 32 is what clients send.
NONCE_SIZES = range(1, 129)


class CertStatus(enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


_STATUS = {
    CertStatus.GOOD: ocsp.OCSPCertStatus.GOOD,
    CertStatus.REVOKED: ocsp.OCSPCertStatus.REVOKED,
    CertStatus.UNKNOWN: ocsp.OCSPCertStatus.UNKNOWN,
}


@dataclass(frozen=True)
class OcspQuery:
    cert_id: CertId
    nonce: bytes | None


def parse_request(data: bytes) -> OcspQuery:
    """Read a DER OCSP request with exactly one certificate, or raise MalformedOcspRequest.

    Requests over MAX_REQUEST_SIZE bytes and nonces outside 1-128 octets (RFC 9654) are
    malformed.
    """
    if len(data) > MAX_REQUEST_SIZE:
        raise MalformedOcspRequest(f"an OCSP request of {len(data)} bytes is larger than ours")
    try:
        request = ocsp.load_der_ocsp_request(data)
        cert_id = CertId(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial=request.serial_number,
            algorithm=request.hash_algorithm,
        )
        nonce: bytes | None = None
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                nonce = extension.value.nonce
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise MalformedOcspRequest(f"not an OCSP request jitsuin can answer: {exc}") from exc
    if nonce is not None and len(nonce) not in NONCE_SIZES:
        raise MalformedOcspRequest(f"a nonce of {len(nonce)} octets (RFC 9654 allows 1 to 128)")
    return OcspQuery(cert_id=cert_id, nonce=nonce)


def _subject_public_key_bits(issuer: x509.Certificate) -> bytes:
    """The contents of the issuer's subjectPublicKey BIT STRING (what RFC 6960 hashes)."""
    key = check_public_key(issuer.public_key())
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def issuer_hashes(
    issuer: x509.Certificate, algorithm: hashes.HashAlgorithm | None = None
) -> tuple[bytes, bytes]:
    """(name hash, key hash) of ``issuer`` as OCSP clients compute them (RFC 6960 4.1.1).

    The name hashed is the issuer's own subject, i.e. the issuer field of the certificates
    it signs; not the issuer field of ``issuer`` itself, which names its parent.
    """
    algorithm = algorithm or hashes.SHA1()  # noqa: S303 (RFC 5019)

    def digest(data: bytes) -> bytes:
        hasher = hashes.Hash(algorithm)
        hasher.update(data)
        return hasher.finalize()

    return digest(issuer.subject.public_bytes()), digest(_subject_public_key_bits(issuer))


def cert_id_for(
    serial: int, issuer: x509.Certificate, algorithm: hashes.HashAlgorithm | None = None
) -> CertId:
    return cert_ids_of(issuer, algorithm)(serial)


def cert_ids_of(
    issuer: x509.Certificate, algorithm: hashes.HashAlgorithm | None = None
) -> Callable[[int], CertId]:
    """The CertId of a serial under ``issuer``, its name and key hashed once (a batch of
    answers signed together)."""
    algorithm = algorithm or hashes.SHA1()  # noqa: S303 (RFC 5019 clients use SHA-1 CertIDs)
    name_hash, key_hash = issuer_hashes(issuer, algorithm)
    return lambda serial: CertId(name_hash, key_hash, serial, algorithm)


@dataclass(frozen=True)
class SingleStatus:
    status: CertStatus
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None


@dataclass(frozen=True)
class PreparedResponder:
    """A responder's key, and a builder holding what every one of its responses repeats.

    The responder ID (by key hash) and the certificates that go along are set once, not per
    response: a live (nonce) answer is signed per request.
    """

    private_key: PrivateKey
    hash_algorithm: hashes.HashAlgorithm
    builder: ocsp.OCSPResponseBuilder
    encoder: ResponseEncoder | None = None


def prepare_responder(
    responder: Signer,
    extra_certificates: tuple[x509.Certificate, ...] = (),
    *,
    encode_once: bool = True,
) -> PreparedResponder:
    """``responder`` ready to sign; ``extra_certificates`` go along with its own certificate.

    extra_certificates: the issuing CA, so that relying parties that trust only the root
    (FreeRADIUS) can chain a delegated responder certificate.
    encode_once: prepare the ``ocsp_der`` encoder (two builder signatures now, then each
    answer encoded once); False for a responder that signs one answer.
    """
    builder = (
        ocsp.OCSPResponseBuilder()
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
        .certificates([responder.certificate, *extra_certificates])
    )
    key, algorithm = responder.private_key, signature_hash(responder.private_key)
    encoder = None
    if encode_once:
        probe = cert_id_for(1, responder.certificate)
        encoder = ResponseEncoder.prepare(builder, key, algorithm, probe)
    return PreparedResponder(key, algorithm, builder, encoder)


def sign_response(
    cert_id: CertId,
    answer: SingleStatus,
    *,
    responder: PreparedResponder,
    this_update: datetime,
    validity: timedelta = DEFAULT_RESPONSE_VALIDITY,
    nonce: bytes | None = None,
) -> bytes:
    """A signed, DER-encoded successful response for one certificate: encoded once by the
    responder's ``ocsp_der`` encoder, or by cryptography's builder where it has none."""
    revoked = answer.status is CertStatus.REVOKED
    if revoked and answer.revoked_at is None:
        raise ValueError("a revoked status needs its revocation time")
    request = Answer(
        cert_id=cert_id,
        status=_STATUS[answer.status],
        this_update=this_update,
        next_update=this_update + validity,
        revoked_at=answer.revoked_at if revoked else None,
        reason=answer.reason if revoked else None,
        nonce=nonce,
    )
    if responder.encoder is not None:
        encoded = responder.encoder.encode(request)
        if encoded is not None:
            return encoded
    return sign_with_builder(
        responder.builder, responder.private_key, request, responder.hash_algorithm
    )


def build_response(
    cert_id: CertId,
    answer: SingleStatus,
    *,
    responder: Signer,
    this_update: datetime,
    validity: timedelta = DEFAULT_RESPONSE_VALIDITY,
    nonce: bytes | None = None,
    extra_certificates: tuple[x509.Certificate, ...] = (),
) -> bytes:
    """A signed, DER-encoded successful response for one certificate (``sign_response`` with
    a responder prepared for this one response)."""
    return sign_response(
        cert_id,
        answer,
        responder=prepare_responder(responder, extra_certificates, encode_once=False),
        this_update=this_update,
        validity=validity,
        nonce=nonce,
    )


def error_response(status: ocsp.OCSPResponseStatus) -> bytes:
    """An unsigned error response: ``MALFORMED_REQUEST``, ``UNAUTHORIZED``, ``INTERNAL_ERROR``..."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def next_update_of(data: bytes) -> datetime | None:
    response = ocsp.load_der_ocsp_response(data)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None
    return response.next_update_utc
