"""OCSP (RFC 6960, RFC 5019 profile): reading requests and building signed responses."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp

from jitsuin.pki.errors import MalformedOcspRequest
from jitsuin.pki.issuance import Signer, signature_hash
from jitsuin.pki.keys import check_public_key

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
class CertId:
    """What an OCSP request names: the issuer by hashes, and a serial."""

    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial: int
    algorithm: hashes.HashAlgorithm

    @property
    def issuer_key(self) -> tuple[str, bytes]:
        return self.algorithm.name, self.issuer_key_hash


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
    algorithm = algorithm or hashes.SHA1()  # noqa: S303 (RFC 5019 clients use SHA-1 CertIDs)
    name_hash, key_hash = issuer_hashes(issuer, algorithm)
    return CertId(name_hash, key_hash, serial, algorithm)


@dataclass(frozen=True)
class SingleStatus:
    status: CertStatus
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None


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
    """A signed, DER-encoded successful response for one certificate."""
    revoked = answer.status is CertStatus.REVOKED
    if revoked and answer.revoked_at is None:
        raise ValueError("a revoked status needs its revocation time")
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=cert_id.issuer_name_hash,
            issuer_key_hash=cert_id.issuer_key_hash,
            serial_number=cert_id.serial,
            algorithm=cert_id.algorithm,
            cert_status=_STATUS[answer.status],
            this_update=this_update,
            next_update=this_update + validity,
            revocation_time=answer.revoked_at if revoked else None,
            revocation_reason=answer.reason if revoked else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
        # extra_certificates: the issuing CA, so that relying parties that trust only the root
        # (FreeRADIUS) can chain a delegated responder certificate.
        .certificates([responder.certificate, *extra_certificates])
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    response = builder.sign(responder.private_key, signature_hash(responder.private_key))
    return response.public_bytes(serialization.Encoding.DER)


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


# ---- live signing without the builder --------------------------------------------------------
#
# ``OCSPResponseBuilder.sign`` encodes the response, parses it back into an object and
# ``public_bytes`` encodes it again: ~3/4 of a live answer's time went there, the ECDSA
# signature itself being ~1/4 (docs/performance.md, "Live OCSP (nonce)"). A responder's
# fixed parts (responderID, signature algorithm, certificates) are encoded once here, and each
# answer is a few byte concatenations around one signature. The tests check it against the
# builder byte for byte (everything but the signature, which ECDSA randomises).


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _time(at: datetime) -> bytes:
    return _tlv(0x18, at.strftime("%Y%m%d%H%M%SZ").encode())


_SEQUENCE = 0x30
_OCTETS = 0x04
_NULL_PARAMS = b"\x05\x00"
_OIDS = {  # DER of the OBJECT IDENTIFIERs used below
    "sha1": bytes.fromhex("06052b0e03021a"),
    "sha224": bytes.fromhex("0609608648016503040204"),
    "sha256": bytes.fromhex("0609608648016503040201"),
    "sha384": bytes.fromhex("0609608648016503040202"),
    "sha512": bytes.fromhex("0609608648016503040203"),
}
_ECDSA_WITH = {
    "sha256": bytes.fromhex("06082a8648ce3d040302"),
    "sha384": bytes.fromhex("06082a8648ce3d040303"),
    "sha512": bytes.fromhex("06082a8648ce3d040304"),
}
_OCSP_BASIC = bytes.fromhex("06092b0601050507300101")
_OCSP_NONCE = bytes.fromhex("06092b0601050507300102")
_SUCCESSFUL = b"\x0a\x01\x00"
_GOOD = b"\x80\x00"
_UNKNOWN = b"\x82\x00"
_REASON_CODES = {
    x509.ReasonFlags.unspecified: 0,
    x509.ReasonFlags.key_compromise: 1,
    x509.ReasonFlags.ca_compromise: 2,
    x509.ReasonFlags.affiliation_changed: 3,
    x509.ReasonFlags.superseded: 4,
    x509.ReasonFlags.cessation_of_operation: 5,
    x509.ReasonFlags.certificate_hold: 6,
    x509.ReasonFlags.remove_from_crl: 8,
    x509.ReasonFlags.privilege_withdrawn: 9,
    x509.ReasonFlags.aa_compromise: 10,
}


@dataclass(frozen=True)
class PreparedResponder:
    """A delegated responder's fixed parts, encoded once (``prepare_responder``)."""

    private_key: ec.EllipticCurvePrivateKey
    hash_algorithm: hashes.HashAlgorithm
    responder_id: bytes
    signature_algorithm: bytes
    certificates: bytes


def prepare_responder(
    responder: Signer, extra_certificates: tuple[x509.Certificate, ...] = ()
) -> PreparedResponder | None:
    """The fast path's view of ``responder``; None for keys it leaves to the builder (RSA)."""
    key = responder.private_key
    algorithm = signature_hash(key)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or algorithm.name not in _ECDSA_WITH:
        return None
    key_hash = hashes.Hash(hashes.SHA1())  # noqa: S303 (RFC 6960 ResponderID byKey)
    key_hash.update(_subject_public_key_bits(responder.certificate))
    certificates = b"".join(
        c.public_bytes(serialization.Encoding.DER)
        for c in (responder.certificate, *extra_certificates)
    )
    return PreparedResponder(
        private_key=key,
        hash_algorithm=algorithm,
        responder_id=_tlv(0xA2, _tlv(_OCTETS, key_hash.finalize())),
        signature_algorithm=_tlv(_SEQUENCE, _ECDSA_WITH[algorithm.name]),
        certificates=_tlv(0xA0, _tlv(_SEQUENCE, certificates)),
    )


def _cert_status(answer: SingleStatus) -> bytes:
    if answer.status is CertStatus.GOOD:
        return _GOOD
    if answer.status is CertStatus.UNKNOWN:
        return _UNKNOWN
    if answer.revoked_at is None:
        raise ValueError("a revoked status needs its revocation time")
    reason = b""
    if answer.reason is not None:
        reason = _tlv(0xA0, _tlv(0x0A, bytes((_REASON_CODES[answer.reason],))))
    return _tlv(0xA1, _time(answer.revoked_at) + reason)


def sign_response(
    prepared: PreparedResponder,
    cert_id: CertId,
    answer: SingleStatus,
    *,
    this_update: datetime,
    validity: timedelta = DEFAULT_RESPONSE_VALIDITY,
    nonce: bytes | None = None,
    produced_at: datetime | None = None,
) -> bytes:
    """What ``build_response`` gives for the same arguments; ValueError for a CertID hash or
    serial it leaves to the builder. ``produced_at`` defaults to ``this_update``."""
    oid = _OIDS.get(cert_id.algorithm.name)
    if oid is None or cert_id.serial < 0:
        raise ValueError(f"no fast path for {cert_id.algorithm.name} or a negative serial")
    der_cert_id = _tlv(
        _SEQUENCE,
        _tlv(_SEQUENCE, oid + _NULL_PARAMS)
        + _tlv(_OCTETS, cert_id.issuer_name_hash)
        + _tlv(_OCTETS, cert_id.issuer_key_hash)
        + _integer(cert_id.serial),
    )
    now = _time(this_update)
    single = _tlv(
        _SEQUENCE,
        der_cert_id + _cert_status(answer) + now + _tlv(0xA0, _time(this_update + validity)),
    )
    extensions = b""
    if nonce is not None:
        extension = _tlv(_SEQUENCE, _OCSP_NONCE + _tlv(_OCTETS, _tlv(_OCTETS, nonce)))
        extensions = _tlv(0xA1, _tlv(_SEQUENCE, extension))
    produced = now if produced_at is None else _time(produced_at)
    tbs = _tlv(_SEQUENCE, prepared.responder_id + produced + _tlv(_SEQUENCE, single) + extensions)
    signature = prepared.private_key.sign(tbs, ec.ECDSA(prepared.hash_algorithm))
    basic = _tlv(
        _SEQUENCE,
        tbs
        + prepared.signature_algorithm
        + _tlv(0x03, b"\x00" + signature)
        + prepared.certificates,
    )
    response_bytes = _tlv(0xA0, _tlv(_SEQUENCE, _OCSP_BASIC + _tlv(_OCTETS, basic)))
    return _tlv(_SEQUENCE, _SUCCESSFUL + response_bytes)
