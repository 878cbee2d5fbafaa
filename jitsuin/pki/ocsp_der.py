"""OCSP responses encoded once, with cryptography's declarative ASN.1 module.

``OCSPResponseBuilder.sign`` encodes a response, parses it back, and ``public_bytes`` encodes
it again, the certificates included each time: for a live (nonce) answer that is two thirds
of its cost (docs/performance.md, "Live OCSP"). Here RFC 6960's response structures are
declared with ``cryptography.hazmat.asn1`` and a response is encoded once and signed with the
responder's key.

Everything a responder's responses repeat (its responder ID, the signature algorithm, its
certificates, the response status, a CertID's hash algorithm identifier, a revocation reason)
is taken, as the builder encoded it, from responses the builder signed for that responder, and
each of those is used only after this module reproduced the builder's TBSResponseData for the
same answer byte for byte. The builder stays the reference: where this encoder cannot answer
(cryptography without the module, whose API cryptography does not yet hold stable, or any
difference from the builder) ``ResponseEncoder.encode`` returns None and the builder answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import OCSPExtensionOID

from jitsuin.pki.clock import SystemClock
from jitsuin.pki.issuance import sign_bytes
from jitsuin.pki.keys import PrivateKey

log = logging.getLogger(__name__)
# producedAt is the signing time, as cryptography's builder takes it: the system's.
_CLOCK = SystemClock()

try:
    from cryptography.hazmat import asn1
except ImportError:  # cryptography < 47: the builder answers
    asn1 = None  # type: ignore[assignment]


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
class Answer:
    """One certificate's answer, as ``sign_response`` is asked for it."""

    cert_id: CertId
    status: ocsp.OCSPCertStatus
    this_update: datetime
    next_update: datetime
    revoked_at: datetime | None
    reason: x509.ReasonFlags | None
    nonce: bytes | None


def utc_seconds(moment: datetime) -> datetime:
    """``moment`` as the builder writes a GeneralizedTime: UTC, whole seconds (a naive time
    is taken as UTC, as the builder takes it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def sign_with_builder(
    builder: ocsp.OCSPResponseBuilder, key: PrivateKey, answer: Answer, hash_algorithm: Any
) -> bytes:
    """``answer`` signed by cryptography's ``OCSPResponseBuilder`` (the reference encoding)."""
    revoked = answer.status is ocsp.OCSPCertStatus.REVOKED
    single = builder.add_response_by_hash(
        issuer_name_hash=answer.cert_id.issuer_name_hash,
        issuer_key_hash=answer.cert_id.issuer_key_hash,
        serial_number=answer.cert_id.serial,
        algorithm=answer.cert_id.algorithm,
        cert_status=answer.status,
        this_update=answer.this_update,
        next_update=answer.next_update,
        revocation_time=answer.revoked_at if revoked else None,
        revocation_reason=answer.reason if revoked else None,
    )
    if answer.nonce is not None:
        single = single.add_extension(x509.OCSPNonce(answer.nonce), critical=False)
    return single.sign(key, hash_algorithm).public_bytes(serialization.Encoding.DER)


if asn1 is not None:

    @asn1.sequence
    class _Extension:
        extn_id: x509.ObjectIdentifier
        critical: Annotated[bool, asn1.Default(False)]
        extn_value: bytes

    @asn1.sequence
    class _CertId:
        hash_algorithm: asn1.TLV
        issuer_name_hash: bytes
        issuer_key_hash: bytes
        serial_number: int

    @asn1.sequence
    class _RevokedInfo:
        revocation_time: asn1.GeneralizedTime

    @asn1.sequence
    class _RevokedInfoWithReason:
        revocation_time: asn1.GeneralizedTime
        revocation_reason: Annotated[
            asn1.TLV, asn1.Explicit(0)
        ]  # CRLReason, as the builder wrote it

    @asn1.sequence
    class _SingleResponse:
        cert_id: _CertId
        cert_status: (
            Annotated[asn1.Variant[asn1.Null, Literal["good"]], asn1.Implicit(0)]
            | Annotated[asn1.Variant[_RevokedInfo, Literal["revoked"]], asn1.Implicit(1)]
            | Annotated[
                asn1.Variant[_RevokedInfoWithReason, Literal["revoked_for"]], asn1.Implicit(1)
            ]
            | Annotated[asn1.Variant[asn1.Null, Literal["unknown"]], asn1.Implicit(2)]
        )
        this_update: asn1.GeneralizedTime
        next_update: Annotated[asn1.GeneralizedTime | None, asn1.Explicit(0)]

    @asn1.sequence
    class _ResponseData:  # version v1, the DEFAULT, is left out as DER requires
        responder_id: asn1.TLV
        produced_at: asn1.GeneralizedTime
        responses: list[_SingleResponse]
        response_extensions: Annotated[list[_Extension] | None, asn1.Explicit(1)]

    @asn1.sequence
    class _BasicOcspResponse:
        tbs_response_data: _ResponseData
        signature_algorithm: asn1.TLV
        signature: asn1.BitString
        certs: Annotated[list[asn1.TLV] | None, asn1.Explicit(0)]

    @asn1.sequence
    class _ResponseBytes:
        response_type: x509.ObjectIdentifier
        response: bytes

    @asn1.sequence
    class _OcspResponse:
        response_status: asn1.TLV
        response_bytes: Annotated[_ResponseBytes | None, asn1.Explicit(0)]

    # The two statuses without contents, the same in every answer.
    _GOOD: Any = asn1.Variant(asn1.Null(), "good")
    _UNKNOWN: Any = asn1.Variant(asn1.Null(), "unknown")

    # How a builder's revoked answer with a reason is read back, to keep the reason's TLV.
    @asn1.sequence
    class _RevokedSingleResponse:
        cert_id: _CertId
        cert_status: Annotated[_RevokedInfoWithReason, asn1.Implicit(1)]
        this_update: asn1.GeneralizedTime
        next_update: Annotated[asn1.GeneralizedTime | None, asn1.Explicit(0)]

    @asn1.sequence
    class _RevokedResponseData:
        responder_id: asn1.TLV
        produced_at: asn1.GeneralizedTime
        responses: list[_RevokedSingleResponse]
        response_extensions: Annotated[list[_Extension] | None, asn1.Explicit(1)]

    @asn1.sequence
    class _RevokedBasicOcspResponse:
        tbs_response_data: _RevokedResponseData
        signature_algorithm: asn1.TLV
        signature: asn1.BitString
        certs: Annotated[list[asn1.TLV] | None, asn1.Explicit(0)]


@dataclass(frozen=True)
class _Shell:
    """What every response of one responder repeats, as the builder encoded it."""

    responder_id: Any
    signature_algorithm: Any
    certs: Any
    response_status: Any
    response_type: x509.ObjectIdentifier


@dataclass(frozen=True)
class _Parts:
    """The shell, and the CertID hash algorithms and revocation reasons learnt so far."""

    shell: _Shell
    hash_ids: Mapping[str, Any]
    reasons: Mapping[x509.ReasonFlags, Any]

    def knows(self, answer: Answer) -> bool:
        return answer.cert_id.algorithm.name in self.hash_ids and (
            answer.reason is None or answer.reason in self.reasons
        )


class ResponseEncoder:
    """Encodes and signs one responder's responses; learns from the builder what they repeat.

    Made by ``prepare`` (None where it cannot reproduce the builder). A CertID hash algorithm
    or a revocation reason not seen yet is learnt the first time it is asked for, from a
    response the builder signs then, and kept (a few per process and responder).
    """

    def __init__(self, builder: ocsp.OCSPResponseBuilder, key: PrivateKey, hash_algorithm: Any):
        self._builder = builder
        self._key = key
        self._hash_algorithm = hash_algorithm
        self._parts: _Parts | None = None

    @classmethod
    def prepare(
        cls,
        builder: ocsp.OCSPResponseBuilder,
        key: PrivateKey,
        hash_algorithm: Any,
        probe: CertId,
    ) -> ResponseEncoder | None:
        """An encoder for the responder ``builder`` is set up for, checked against the builder
        on a good answer with a nonce for ``probe``; None where it does not reproduce it."""
        if asn1 is None:
            log.warning("OCSP responses are signed through cryptography's builder (no asn1)")
            return None
        encoder = cls(builder, key, hash_algorithm)
        now = utc_seconds(_CLOCK.now())
        probe_answer = Answer(
            probe, ocsp.OCSPCertStatus.GOOD, now, now + timedelta(days=1), None, None, bytes(32)
        )
        if not encoder._learn(probe_answer):
            return None
        return encoder

    def encode(self, answer: Answer) -> bytes | None:
        """The signed DER response for ``answer``, or None when the builder must answer."""
        parts = self._parts
        if parts is None or not parts.knows(answer):
            if not self._learn(answer):
                return None
            parts = self._parts
            assert parts is not None
        return _encode(parts, self._key, answer, utc_seconds(_CLOCK.now()))

    def _learn(self, answer: Answer) -> bool:
        """Sign ``answer`` with the builder, keep what it repeats, and check that this encoder
        writes the same TBSResponseData and certificates for it (False, logged, if not)."""
        try:
            reference = sign_with_builder(self._builder, self._key, answer, self._hash_algorithm)
            parts = self._parts_from(reference, answer)
            theirs = ocsp.load_der_ocsp_response(reference)
            ours = _encode(parts, self._key, answer, theirs.produced_at_utc)
            mine = ocsp.load_der_ocsp_response(ours)
            if mine.tbs_response_bytes != theirs.tbs_response_bytes or _certs(mine) != _certs(
                theirs
            ):
                raise ValueError("its encoding differs from the builder's")
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("an OCSP answer is signed through cryptography's builder: %s", exc)
            return False
        self._parts = parts
        return True

    def _parts_from(self, reference: bytes, answer: Answer) -> _Parts:
        reason = answer.reason if answer.status is ocsp.OCSPCertStatus.REVOKED else None
        response: Any = asn1.decode_der(_OcspResponse, reference)
        basic: Any = asn1.decode_der(
            _BasicOcspResponse if reason is None else _RevokedBasicOcspResponse,
            response.response_bytes.response,
        )
        single = basic.tbs_response_data.responses[0]
        known = self._parts
        reasons = dict(known.reasons) if known else {}
        if reason is not None:
            reasons[reason] = single.cert_status.revocation_reason
        return _Parts(
            shell=_Shell(
                responder_id=basic.tbs_response_data.responder_id,
                signature_algorithm=basic.signature_algorithm,
                certs=basic.certs,
                response_status=response.response_status,
                response_type=response.response_bytes.response_type,
            ),
            hash_ids={
                **(known.hash_ids if known else {}),
                answer.cert_id.algorithm.name: single.cert_id.hash_algorithm,
            },
            reasons=reasons,
        )


def _encode(parts: _Parts, key: PrivateKey, answer: Answer, produced_at: datetime) -> bytes:
    data = _ResponseData(
        responder_id=parts.shell.responder_id,
        produced_at=asn1.GeneralizedTime(produced_at),
        responses=[
            _SingleResponse(
                cert_id=_CertId(
                    hash_algorithm=parts.hash_ids[answer.cert_id.algorithm.name],
                    issuer_name_hash=answer.cert_id.issuer_name_hash,
                    issuer_key_hash=answer.cert_id.issuer_key_hash,
                    serial_number=answer.cert_id.serial,
                ),
                cert_status=_status(parts, answer),
                this_update=asn1.GeneralizedTime(utc_seconds(answer.this_update)),
                next_update=asn1.GeneralizedTime(utc_seconds(answer.next_update)),
            )
        ],
        response_extensions=None
        if answer.nonce is None
        else [
            _Extension(
                extn_id=OCSPExtensionOID.NONCE,
                critical=False,
                extn_value=asn1.encode_der(answer.nonce),
            )
        ],
    )
    basic = _BasicOcspResponse(
        tbs_response_data=data,
        signature_algorithm=parts.shell.signature_algorithm,
        signature=asn1.BitString(sign_bytes(key, asn1.encode_der(data)), 0),
        certs=parts.shell.certs,
    )
    return asn1.encode_der(
        _OcspResponse(
            response_status=parts.shell.response_status,
            response_bytes=_ResponseBytes(
                response_type=parts.shell.response_type, response=asn1.encode_der(basic)
            ),
        )
    )


def _status(parts: _Parts, answer: Answer) -> Any:
    if answer.status is ocsp.OCSPCertStatus.GOOD:
        return _GOOD
    if answer.status is ocsp.OCSPCertStatus.UNKNOWN:
        return _UNKNOWN
    assert answer.revoked_at is not None  # sign_response refuses a revoked status without it
    revoked_at = asn1.GeneralizedTime(utc_seconds(answer.revoked_at))
    if answer.reason is None:
        return asn1.Variant(_RevokedInfo(revocation_time=revoked_at), "revoked")
    return asn1.Variant(
        _RevokedInfoWithReason(
            revocation_time=revoked_at, revocation_reason=parts.reasons[answer.reason]
        ),
        "revoked_for",
    )


def _certs(response: ocsp.OCSPResponse) -> list[bytes]:
    return [cert.public_bytes(serialization.Encoding.DER) for cert in response.certificates]
